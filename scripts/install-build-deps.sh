#!/bin/sh
# Installs what building the module needs on Debian bookworm (as root):
# the Kamailio core it builds against, libsctp, libclang for bindgen, a C
# compiler. Idempotent: apt is not touched when everything is there.
set -eu

PACKAGES="kamailio libsctp-dev libclang-dev gcc pkg-config"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-build-deps: installing:$missing"
	apt-get update -qq
	# shellcheck disable=SC2086 # the list is meant to split
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
if ! command -v cargo >/dev/null 2>&1; then
	for d in "$HOME/.cargo/bin" /usr/local/cargo/bin; do
		[ -x "$d/cargo" ] && PATH="$d:$PATH"
	done
fi
command -v cargo >/dev/null 2>&1 || {
	echo "install-build-deps: no Rust toolchain (cargo) found; Rust 1.83 or newer is needed" >&2
	exit 1
}
echo "install-build-deps: ok ($(cargo --version))"
