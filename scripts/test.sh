#!/bin/sh
# Every test: unit tests (no Kamailio, no SCTP needed), lints (scripts/lint.sh:
# clippy, Miri), a short fuzz run of the parsers (scripts/fuzz.sh), then the
# end-to-end suite against the real Kamailio of each Debian release (this
# machine's, trixie's and sid's, each with its own C module as control;
# E2E_RELEASES picks others), with the module built for it, over real kernel
# SCTP (in a qemu VM when this machine's kernel has none, and always for the
# other releases, whose roots tests/roots/make-root.sh debootstraps once),
# and the Debian package test. Prints how long each part took; exits 1 if
# any failed (every part runs).
set -eu
cd "$(dirname "$0")/.."
sh scripts/build.sh
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"

times="" failed=""
# part NAME COMMAND...: runs COMMAND, notes its time and outcome.
part() {
	name=$1
	shift
	echo "== $name"
	t0=$(date +%s)
	rc=0
	"$@" || rc=$?
	line="$name: $(($(date +%s) - t0)) s"
	[ "$rc" = 0 ] || { line="$line, FAILED (exit $rc)"; failed="$failed $name"; }
	times="$times
  $line"
}

part "unit tests" cargo test --release
# The fuzz run beside the lints: Miri and libFuzzer each keep one CPU busy,
# so side by side they take about as long as the lints alone. Its output
# follows the lints'.
fuzz_log=$(mktemp)
trap 'rm -f "$fuzz_log" "$fuzz_log.rc"' EXIT
(
	t0=$(date +%s)
	rc=0
	sh scripts/fuzz.sh 25 >"$fuzz_log" 2>&1 || rc=$?
	echo "$rc $(($(date +%s) - t0))" >"$fuzz_log.rc"
) &
fuzz_pid=$!
part "lints" sh scripts/lint.sh
wait "$fuzz_pid" || true
echo "== fuzz (run beside the lints)"
cat "$fuzz_log"
read -r fuzz_rc fuzz_secs <"$fuzz_log.rc" || { fuzz_rc=1 fuzz_secs=?; }
line="fuzz (beside the lints): $fuzz_secs s"
[ "$fuzz_rc" = 0 ] || { line="$line, FAILED (exit $fuzz_rc)"; failed="$failed fuzz"; }
times="$times
  $line"
part "end-to-end tests" sh tests/e2e/releases.sh
# The package build's own unit-test run (dh_auto_test) is left out: the
# same tests ran above.
part "Debian package (tests/deb): replaces kamailio-sctp-modules, serves, removes" \
	env DEB_BUILD_OPTIONS=nocheck sh tests/deb/run.sh

echo
echo "time per part:$times"
[ -z "$failed" ] || { echo "failed:$failed"; exit 1; }
