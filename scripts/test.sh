#!/bin/sh
# Every test: unit tests (no Kamailio, no SCTP needed), lints (scripts/lint.sh:
# clippy, Miri), a short fuzz run of the parsers (scripts/fuzz.sh), then the
# end-to-end suite against the real Kamailio of each Debian release (this
# machine's, trixie's and sid's, each with its own C module as control;
# E2E_RELEASES picks others), with the module built for it, over real kernel
# SCTP (in a qemu VM when this machine's kernel has none, and always for the
# other releases, whose roots tests/roots/make-root.sh debootstraps once),
# and the Debian package test (packages built beside the lints). Prints how
# long each part took; exits 1 if any failed (every part runs).
set -eu
cd "$(dirname "$0")/.."
sh scripts/build.sh
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"

# One line per part that ran: EXIT_CODE SECONDS NAME (a file, so that parts
# run in the background are noted as the others are).
parts=$(mktemp)
side_log=$(mktemp)
trap 'rm -f "$parts" "$side_log"' EXIT
# part NAME COMMAND...: runs COMMAND, notes its time and outcome.
part() {
	name=$1
	shift
	echo "== $name"
	t0=$(date +%s)
	rc=0
	"$@" || rc=$?
	echo "$rc $(($(date +%s) - t0)) $name" >>"$parts"
}

part "unit tests" cargo test --release
# Beside the lints, whose Miri run keeps one CPU busy: the fuzz run, then the
# builds of the Debian packages (scripts/deb.sh; it makes the trixie and sid
# roots when missing), which the package test at the end installs. Their
# output follows the lints'.
rm -rf dist
(
	part "fuzz (beside the lints)" sh scripts/fuzz.sh 25
	for release in bookworm trixie sid; do
		part "Debian package build ($release, beside the lints)" \
			env DEB_BUILD_OPTIONS=nocheck sh scripts/deb.sh "$release"
	done
) >"$side_log" 2>&1 &
side_pid=$!
part "lints" sh scripts/lint.sh
wait "$side_pid" || true
cat "$side_log"

part "end-to-end tests" sh tests/e2e/releases.sh
# The packages built beside the lints (their own unit-test run, dh_auto_test,
# left out: the same tests ran above).
part "Debian package (tests/deb): replaces kamailio-sctp-modules, serves, removes" \
	env DEB_BUILD=0 sh tests/deb/run.sh

echo
echo "time per part:"
failed=""
while read -r rc secs name; do
	line="  $name: $secs s"
	[ "$rc" = 0 ] || { line="$line, FAILED (exit $rc)"; failed="$failed $name"; }
	echo "$line"
done <"$parts"
[ -z "$failed" ] || { echo "failed:$failed"; exit 1; }
