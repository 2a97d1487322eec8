#!/bin/sh
# Install what the e2e tests need on Debian bookworm (idempotent).
set -eu
here=$(dirname "$0")
sh "$here/../../scripts/apt-ensure.sh" kamailio kamailio-sctp-modules sip-tester lksctp-tools \
	python3 iproute2 qemu-system-x86 busybox-static cpio binutils strace \
	tcpdump libusrsctp-examples
echo "install-deps: e2e packages present"
