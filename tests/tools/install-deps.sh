#!/bin/sh
# Install the Debian packages a target needs, but only those that are
# missing. Runs without a terminal (CI).
#   install-deps.sh demo    building and the demo only
#   install-deps.sh deb     building the Debian package
#   install-deps.sh         everything make check needs
# A server installed here (openssh-server, slapd) is never left running or
# enabled at boot when it was not there before: the tests start their own
# inside a sandbox.
set -eu

# gettext: msgfmt builds the translations (make all), xgettext and msgmerge
# make pot, msgcmp make check-po.
demo_packages="make gcc pkg-config libpam0g-dev libcurl4-openssl-dev libjansson-dev libconfig-dev
libldap-dev libssl-dev python3 openssl ca-certificates gettext"
check_packages="$demo_packages libcmocka-dev valgrind python3-pytest binutils
openssh-server openssh-client sudo login passwd util-linux iproute2 procps python3-paramiko
python3-pexpect libnss-wrapper clang libclang-rt-14-dev clang-tools cppcheck
slapd ldap-utils python3-cryptography debhelper fakeroot lintian"

deb_packages="$demo_packages debhelper fakeroot lintian"
# The servers among them: only these are disabled after installing.
servers="ssh slapd"

case "${1:-check}" in
    demo) packages=$demo_packages ;;
    deb) packages=$deb_packages ;;
    check) packages=$check_packages ;;
    *) echo "usage: install-deps.sh [demo|deb|check]" >&2; exit 2 ;;
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

# Which servers are there now, so that only new ones are disabled.
server_present() {
    [ -e "/lib/systemd/system/$1.service" ] || [ -e "/etc/init.d/$1" ]
}
present_before=""
for name in $servers; do
    server_present "$name" && present_before="$present_before $name"
done

# policy-rc.d tells the package scripts not to start services (only added if
# none is there already, and always taken away again, even if killed).
policy=/usr/sbin/policy-rc.d
added_policy=no
trap '[ "$added_policy" = yes ] && rm -f "$policy"' EXIT
trap 'exit 130' INT TERM HUP
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    added_policy=yes
fi
status=0
apt-get update -q >/dev/null || status=$?
# shellcheck disable=SC2086
[ "$status" -eq 0 ] && { apt-get install -y -q --no-install-recommends $missing >/dev/null || status=$?; }

# Package scripts enable at boot what they ship: undo that for new servers.
for name in $servers; do
    case " $present_before " in *" $name "*) continue ;; esac
    server_present "$name" || continue
    for unit in "$name.service" "$name.socket"; do
        [ -e "/lib/systemd/system/$unit" ] && { deb-systemd-helper disable "$unit" >/dev/null 2>&1 || true; }
    done
    [ -e "/etc/init.d/$name" ] && { update-rc.d "$name" disable >/dev/null 2>&1 || true; }
    echo "install-deps: $name was installed, and is not enabled at boot"
done
exit "$status"
