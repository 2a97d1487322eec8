#!/bin/sh
# Every test: unit tests (no Kamailio, no SCTP needed), lints (scripts/lint.sh),
# a short fuzz run of the parsers (scripts/fuzz.sh), then the end-to-end suite
# against the real Kamailio with the freshly built module, over real kernel SCTP
# (in a qemu VM when this machine's kernel has none).
set -eu
cd "$(dirname "$0")/.."
sh scripts/build.sh
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
echo "== unit tests"
cargo test --release
sh scripts/lint.sh
sh scripts/fuzz.sh 25
echo "== end-to-end tests"
exec sh tests/e2e/run.sh
