#!/bin/sh
# make check runs every suite with TMPDIR set to one private directory; a
# suite that leaves a file there (a fake's CA key, a slapd database, a
# valgrind pipe) would leave it on a host's /tmp too. Fail and name them.
set -eu
dir=$1
# pytest keeps its own tmp_path directories (pytest-of-USER, the last three
# runs) by design: they go with the directory.
left=$(find "$dir" -mindepth 1 -maxdepth 1 ! -name 'pytest-of-*' | sort)
if [ -n "$left" ]; then
    echo "make check: FAILED: the suites left these behind in $dir:" >&2
    echo "$left" >&2
    exit 1
fi
rm -rf "$dir"
echo "make check: nothing left behind in the temporary directory"
