#!/bin/sh
# Install what the e2e tests need on Debian bookworm (idempotent: apt is not
# touched at all when every package is already installed).
set -eu

PACKAGES="kamailio kamailio-sctp-modules sip-tester lksctp-tools python3 iproute2 qemu-system-x86 busybox-static cpio binutils"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
echo "install-deps: installing:$missing"
$sudo apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is wanted
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES >/dev/null
echo "install-deps: done"
