#!/bin/sh
# Builds the module: target/release/libkamailio_sctp.so (install it as sctp.so).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-build-deps.sh
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
cargo build --release
echo "built $(pwd)/target/release/libkamailio_sctp.so"
