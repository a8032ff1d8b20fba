#!/bin/sh
# The module must export pam_sm_* and nothing else: any other symbol could
# collide with the host program's or another module's. And the split holds:
# the module links libpam and libc only, phonemfa-setup libc only (no
# libcurl, OpenSSL or the config parser in a process the user controls),
# and phonemfa-setup is installed without a setuid bit.
set -eu
module=$1
setup=$2
exported=$(nm -D --defined-only "$module" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort)
unexpected=$(printf '%s\n' "$exported" | grep -v -E '^pam_sm_(authenticate|setcred)$' || true)
for required in pam_sm_authenticate pam_sm_setcred; do
    if ! printf '%s\n' "$exported" | grep -qx "$required"; then
        echo "check-exports: FAIL: $module does not export $required"
        exit 1
    fi
done
if [ -n "$unexpected" ]; then
    echo "check-exports: FAIL: $module exports more than pam_sm_*:"
    printf '  %s\n' $unexpected
    exit 1
fi
needed() {
    readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' '
}
if [ "$(needed "$module")" != "libc.so.6 libpam.so.0 " ]; then
    echo "check-exports: FAIL: $module links more than libpam and libc: $(needed "$module")"
    exit 1
fi
if [ "$(needed "$setup")" != "libc.so.6 " ]; then
    echo "check-exports: FAIL: $setup links more than libc: $(needed "$setup")"
    exit 1
fi
if grep -n 'install -m [0-7]*[4-7][0-7][0-7][0-7] .*phonemfa-setup' Makefile; then
    echo "check-exports: FAIL: make install gives phonemfa-setup a setuid or setgid bit"
    exit 1
fi
echo "check-exports: 4 passed, 0 failed"
