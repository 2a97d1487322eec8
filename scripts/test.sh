#!/bin/sh
# Every test: unit tests (no Kamailio, no SCTP needed), lints (scripts/lint.sh:
# clippy, Miri), a short fuzz run of the parsers (scripts/fuzz.sh), then the
# end-to-end suite against the real Kamailio of each Debian release (this
# machine's, trixie's and sid's, each with its own C module as control;
# E2E_RELEASES picks others), with the module built for it, over real kernel
# SCTP (in a qemu VM when this machine's kernel has none, and always for the
# other releases, whose roots tests/roots/make-root.sh debootstraps once).
set -eu
cd "$(dirname "$0")/.."
sh scripts/build.sh
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
echo "== unit tests"
cargo test --release
sh scripts/lint.sh
sh scripts/fuzz.sh 25
echo "== end-to-end tests"
sh tests/e2e/releases.sh
echo "== Debian package (tests/deb): replaces kamailio-sctp-modules, serves, removes; bookworm, trixie, sid"
exec sh tests/deb/run.sh
