#!/bin/sh
# Runs as PID 1 of a fresh pid, mount and network namespace (see run-sandboxed):
# copy-on-write overlays over every path the tests write, a private /dev
# (own devpts for ptys, own /dev/log), and loopback only.
# Nothing here reaches the host: when this process exits, the kernel kills
# everything left in the namespace and the overlays vanish.
set -eu
work=$1
shift

overlay() {
    dir=$1
    name=$(printf '%s' "$dir" | tr / _)
    if [ ! -d "$dir" ]; then
        echo "sandbox: cannot overlay $dir: it does not exist on this machine" >&2
        exit 97
    fi
    mkdir -p "$work/upper/$name" "$work/work/$name"
    mount -t overlay overlay -o "lowerdir=$dir,upperdir=$work/upper/$name,workdir=$work/work/$name" "$dir"
}

# /usr and /var/cache too: the package tests install a .deb (dpkg writes
# /usr, its man-db trigger /var/cache/man, pam-auth-update debconf's cache).
# /tmp is overlaid too (not replaced by an empty tmpfs): the checkout under
# test may itself live in /tmp, as a CI clone can.
for dir in /etc /run /usr /var/lib /var/log /var/mail /var/spool /var/cache /home /root /tmp "$@"; do
    case "$dir" in
        --) break ;;
        /*) overlay "$dir" ;;
    esac
done
# Arguments up to "--" were extra directories to overlay; the rest is the command.
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done
[ "$#" -gt 0 ] && shift

# A private /dev: the host's has no /dev/log to collect the module's lines,
# and a new devpts instance keeps the tests' ptys apart from the host's.
mount -t tmpfs -o mode=0755,nosuid tmpfs /dev
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/full c 1 7
mknod -m 666 /dev/random c 1 8
mknod -m 666 /dev/urandom c 1 9
mknod -m 666 /dev/tty c 5 0
mkdir -m 755 /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr

ip link set lo up
exec "$@"
