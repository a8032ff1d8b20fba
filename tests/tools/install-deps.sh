#!/bin/sh
# Install the Debian packages that building, testing and the demo need, but
# only those that are missing. Runs without a terminal (CI).
set -eu

packages="make gcc pkg-config libpam0g-dev libcurl4-openssl-dev libjansson-dev libconfig-dev
libcmocka-dev valgrind python3 python3-pytest openssl ca-certificates binutils gettext"

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
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
