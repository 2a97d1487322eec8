#!/bin/sh
# make-root.sh RELEASE: a root filesystem of Debian RELEASE (trixie, sid, ...)
# with that release's Kamailio, its C SCTP module and what the e2e suite runs,
# for building the module against that Kamailio (tests/roots/kamailio-in-root.sh)
# and running the suite on it (VMROOT=..., see tests/vm/run-in-vm.sh).
#
# Made once with debootstrap (about a minute, needs root and the network) into
# $ROOTS_CACHE/RELEASE (default /var/cache/kamailio-sctp-rs-roots when writable,
# else under $TMPDIR), only if missing. Prints the root's path.
# Next to it, $ROOTS_CACHE/RELEASE-kamailio runs the root's kamailio (in a
# chroot when run as root, else through the root's own dynamic loader, enough
# for `-v`): KAMAILIO_BIN=$ROOTS_CACHE/trixie-kamailio cargo build builds the
# module for trixie's Kamailio.
# ROOT_REFRESH=1 makes it anew (e.g. to pick up the release's updates).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

[ $# = 1 ] || roots_die "usage: $0 RELEASE"
release=$1
case $release in
*[!a-z0-9-]* | "") roots_die "not a Debian release name: $release" ;;
esac
root=$ROOTS_CACHE/$release

# What the suite runs (tests/e2e/install-deps.sh installs the same on the host).
packages=kamailio,kamailio-sctp-modules,sip-tester,lksctp-tools,iproute2,procps,python3,tcpdump,libusrsctp-examples

# write_wrapper: $root-kamailio, running the root's kamailio with the given arguments.
write_wrapper() {
	cat >"$root-kamailio.new" <<WRAPPER
#!/bin/sh
# Kamailio of the Debian $release root $root (made by tests/roots/make-root.sh).
if [ "\$(id -u)" = 0 ]; then
	exec chroot "$root" /usr/sbin/kamailio "\$@"
fi
exec "$root/lib64/ld-linux-x86-64.so.2" \\
	--library-path "$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu" \\
	"$root/usr/sbin/kamailio" "\$@"
WRAPPER
	chmod +x "$root-kamailio.new"
	mv "$root-kamailio.new" "$root-kamailio"
}

if [ -f "$root/.complete" ] && [ "${ROOT_REFRESH:-0}" != 1 ]; then
	[ -x "$root-kamailio" ] || write_wrapper
	# a root made for a shorter list gets what the suite needs since
	# (.complete holds the list it was made or last completed for)
	if [ "$(cat "$root/.complete")" != "$packages" ]; then
		[ "$(id -u)" = 0 ] || roots_die "completing $root needs root (chroot apt-get)"
		echo "make-root: installing into $root: $packages" >&2
		log=$ROOTS_CACHE/$release.complete.log
		if ! { chroot "$root" apt-get -o Acquire::Check-Valid-Until=false update -qq && chroot "$root" env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $(echo "$packages" | tr ',' ' '); } >"$log" 2>&1; then
			tail -n 20 "$log" >&2
			roots_die "apt-get install in $root failed (log: $log)"
		fi
		echo "$packages" >"$root/.complete"
	fi
	echo "$root"
	exit 0
fi
[ "$(id -u)" = 0 ] || roots_die "making $root needs root (debootstrap)"
sh "$here/../../scripts/apt-ensure.sh" debootstrap >&2
rm -rf "$root"
mkdir -p "$root"
echo "make-root: debootstrap $release into $root ($packages)" >&2
log=$ROOTS_CACHE/$release.debootstrap.log
if ! debootstrap --variant=minbase --include="$packages" "$release" "$root" \
	"${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	roots_die "debootstrap $release failed (log: $log)"
fi
write_wrapper
"$root-kamailio" -v | head -n 1 >&2
echo "$packages" >"$root/.complete"
echo "$root"
