#!/bin/sh
# The module must export pam_sm_* and nothing else: any other symbol could
# collide with the host program's or another module's.
set -eu
module=$1
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
echo "check-exports: 1 passed, 0 failed"
