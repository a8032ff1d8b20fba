#!/bin/sh
# Run each named libFuzzer harness: first over its committed seed corpus
# (every input must pass its oracles), then for FUZZ_SECONDS on a scratch
# copy. A crash, an oracle failure, a leak or a timeout fails the run and
# leaves the input in $BUILD/fuzz/artifacts/ to be committed as a reproducer.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-build}
seconds=${FUZZ_SECONDS:-8}
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkdir -p "$build/fuzz/artifacts"
passed=0
failed=0
total_runs=0
for name in "$@"; do
    binary="$build/fuzz/fuzz_$name"
    corpus="$here/corpus/$name"
    dictionary=""
    case "$name" in
        phone_number) dictionary="-dict=$here/phone_number.dict" ;;
        config|policy) dictionary="-dict=$here/config.dict" ;;
        phone_record|user_state|native_answers|twilio_answers|entra_answers) dictionary="-dict=$here/json.dict" ;;
    esac
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/phonemfa-fuzz-$name.XXXXXX")
    log="$build/fuzz/$name.log"
    if "$binary" -runs=0 "$corpus" > "$log" 2>&1 &&
        "$binary" $dictionary -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
            -artifact_prefix="$build/fuzz/artifacts/$name-" -print_final_stats=1 "$scratch" "$corpus" >> "$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        total_runs=$((total_runs + ${runs:-0}))
        echo "fuzz $name: ok, ${runs:-0} executions in ${seconds} s (corpus $(ls "$corpus" | wc -l) seeds)"
        passed=$((passed + 1))
    else
        echo "fuzz $name: FAILED (see $log; reproducer in $build/fuzz/artifacts/)"
        tail -n 30 "$log"
        failed=$((failed + 1))
    fi
    rm -rf "$scratch"
done
echo "fuzz: $total_runs executions in all"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
