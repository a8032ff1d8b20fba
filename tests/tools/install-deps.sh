#!/bin/sh
# Install the Debian packages a target needs, but only those that are
# missing. Runs without a terminal (CI).
#   install-deps.sh demo    building and the demo only
#   install-deps.sh         everything make check needs
# A package installed here never leaves a service running or enabled at boot
# that was not there before (openssh-server and slapd ship both): the tests
# start their own inside a sandbox.
set -eu

demo_packages="make gcc pkg-config libpam0g-dev libcurl4-openssl-dev libjansson-dev libconfig-dev
libldap-dev libssl-dev python3 openssl ca-certificates"
check_packages="$demo_packages libcmocka-dev valgrind python3-pytest binutils gettext
openssh-server openssh-client sudo login passwd util-linux iproute2 procps python3-paramiko
python3-pexpect libnss-wrapper clang libclang-rt-14-dev clang-tools cppcheck
slapd ldap-utils python3-cryptography debhelper fakeroot lintian"

case "${1:-check}" in
    demo) packages=$demo_packages ;;
    check) packages=$check_packages ;;
    *) echo "usage: install-deps.sh [demo|check]" >&2; exit 2 ;;
esac

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

# The units and init scripts there are now, so that only the new ones are
# disabled afterwards.
units_now() {
    ls /lib/systemd/system/*.service /lib/systemd/system/*.socket /etc/init.d/* 2>/dev/null | sort
}
before=$(mktemp) after=$(mktemp)
trap 'rm -f "$before" "$after"' EXIT
units_now > "$before"

# policy-rc.d tells the package scripts not to start services (only added if
# none is there already).
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

# Package scripts enable at boot what they ship: undo that for what is new.
units_now > "$after"
for path in $(comm -13 "$before" "$after"); do
    name=$(basename "$path")
    case "$path" in
        /etc/init.d/*) update-rc.d "$name" disable >/dev/null 2>&1 || true ;;
        *) deb-systemd-helper disable "$name" >/dev/null 2>&1 || true ;;
    esac
    echo "install-deps: $name was installed, and is not enabled at boot"
done
exit "$status"
