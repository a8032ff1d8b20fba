#!/usr/bin/python3
"""make coverage: merge what gcov says about each core source from every
object directory that built it (the module's objects and the unit tests'),
print line coverage per file and in total, and fail below --minimum."""
import json
import os
import subprocess
import sys


def gcov_lines(source, object_dir):
    """{line number: count} for source as built into object_dir."""
    name = os.path.splitext(os.path.basename(source))[0]
    if not os.path.exists(os.path.join(object_dir, name + ".gcda")):
        return {}
    result = subprocess.run(["gcov", "--json-format", "--stdout", "-o", object_dir, source],
                            capture_output=True, text=True, check=True)
    lines = {}
    for document in result.stdout.splitlines():
        for entry in json.loads(document)["files"]:
            if os.path.basename(entry["file"]) != os.path.basename(source):
                continue
            for line in entry["lines"]:
                lines[line["line_number"]] = lines.get(line["line_number"], 0) + line["count"]
    return lines


def main():
    """coverage.py [--minimum PERCENT] OBJECT_DIR... -- SOURCE..."""
    arguments = sys.argv[1:]
    minimum = 90.0
    if arguments[:1] == ["--minimum"]:
        minimum = float(arguments[1])
        arguments = arguments[2:]
    split = arguments.index("--")
    object_dirs, sources = arguments[:split], arguments[split + 1:]
    total_lines = total_hit = 0
    for source in sources:
        merged = {}
        for object_dir in object_dirs:
            for number, count in gcov_lines(source, object_dir).items():
                merged[number] = merged.get(number, 0) + count
        hit = sum(1 for count in merged.values() if count > 0)
        total_lines += len(merged)
        total_hit += hit
        missed = sorted(number for number, count in merged.items() if count == 0)
        percent = 100.0 * hit / len(merged) if merged else 0.0
        print(f"coverage: {source:36} {percent:5.1f}% of {len(merged):4} lines"
              + (f"  (not reached: {compress(missed)})" if missed and len(missed) <= 40 else
                 f"  ({len(missed)} lines not reached)" if missed else ""))
    percent = 100.0 * total_hit / total_lines if total_lines else 0.0
    print(f"coverage: core total {percent:.1f}% of {total_lines} lines (minimum {minimum:.0f}%)")
    return 0 if percent >= minimum else 1


def compress(numbers):
    ranges, start, previous = [], None, None
    for number in numbers:
        if start is None:
            start = previous = number
        elif number == previous + 1:
            previous = number
        else:
            ranges.append(f"{start}-{previous}" if start != previous else f"{start}")
            start = previous = number
    if start is not None:
        ranges.append(f"{start}-{previous}" if start != previous else f"{start}")
    return ",".join(ranges)


if __name__ == "__main__":
    sys.exit(main())
