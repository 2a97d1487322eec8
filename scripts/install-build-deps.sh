#!/bin/sh
# Installs what building the module needs on Debian bookworm (as root): the
# Kamailio core it builds against, libsctp, libclang for bindgen, a C compiler.
# Idempotent.
set -eu
sh "$(dirname "$0")/apt-ensure.sh" kamailio libsctp-dev libclang-dev gcc pkg-config
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
