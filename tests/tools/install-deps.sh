#!/bin/sh
# Install the Debian packages that building, testing and the demo need, but
# only those that are missing. Runs without a terminal (CI).
set -eu

packages="make gcc pkg-config libpam0g-dev libcurl4-openssl-dev libjansson-dev libconfig-dev
libcmocka-dev valgrind python3 python3-pytest openssl ca-certificates binutils gettext
openssh-server openssh-client sudo login passwd util-linux iproute2 procps python3-paramiko
python3-pexpect libnss-wrapper clang libclang-rt-14-dev clang-tools cppcheck
slapd ldap-utils libldap-dev libssl-dev python3-cryptography"

missing=""
for p in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages:$missing" >&2
    echo "run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Installing openssh-server must not start an sshd on this machine: the
# tests start their own inside a sandbox. policy-rc.d tells the package
# scripts not to start services (only added if none is there already).
policy=/usr/sbin/policy-rc.d
added_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    added_policy=yes
fi
status=0
apt-get update -q >/dev/null || status=$?
# shellcheck disable=SC2086
[ "$status" -eq 0 ] && { apt-get install -y -q --no-install-recommends $missing >/dev/null || status=$?; }
[ "$added_policy" = yes ] && rm -f "$policy"
exit "$status"
