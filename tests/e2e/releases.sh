#!/bin/sh
# releases.sh [SCENARIO...]: the e2e suite against the Kamailio of each Debian
# release, each with that release's own C module as the control.
#
# E2E_RELEASES (default "host trixie sid") names them: `host` is this
# machine's root and Kamailio (bookworm's 5.6.3 on the project's machines),
# with the module built into target/release; any other name is a Debian
# release whose root tests/roots/make-root.sh makes (once, cached) and whose
# kamailio the module is built for, into target/RELEASE. The suite runs in the
# test VM on that root (tests/e2e/run.sh with VMROOT). A name that is an
# absolute directory is a Kamailio installed there (sbin/kamailio,
# lib/kamailio/modules/, e.g. a core built from source, see docs/testing.md):
# the module is built for it into target/k-DIRNAME and the suite runs on this
# machine's root with that core and its C module (E2E_KAMAILIO_DIR).
#
# The memory soak (memory-flat) makes E2E_MEMORY_CALLS calls on the host
# release (60,000 by default) and E2E_MEMORY_CALLS_OTHER (20,000) on the
# others: the module's code is the same, only the core ABI differs. So does
# encap-ours: E2E_ENCAP_CALLS_OTHER (300) calls there, 1000 on the host; and
# the uac and k2k scenarios: E2E_CALLS_OTHER (1000) there, 2000 on the host.
#
# Prints each release's result, then one line per release; exits 1 if any
# release failed, else 0.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$here/../.." && pwd)
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"

summary=""
failed=0
suite_log=$(mktemp)
trap 'rm -f "$suite_log" "$suite_log.rc"' EXIT

# run_suite [SCENARIO...]: tests/e2e/run.sh, its output shown and kept in
# $suite_log; returns its exit code.
run_suite() {
	rm -f "$suite_log.rc"
	{ "$here/run.sh" "$@" || echo $? >"$suite_log.rc"; } 2>&1 | tee "$suite_log"
	[ ! -e "$suite_log.rc" ] || return "$(cat "$suite_log.rc")"
}
for release in ${E2E_RELEASES:-host trixie sid}; do
	echo
	echo "##### e2e on $release"
	t0=$(date +%s)
	rc=0
	: >"$suite_log"
	if [ "$release" = host ]; then
		(cd "$REPO" && cargo build --release) || rc=$?
		[ "$rc" != 0 ] || run_suite "$@" || rc=$?
	elif [ "${release#/}" != "$release" ]; then
		target=$REPO/target/k-$(basename "$release")
		(cd "$REPO" && KAMAILIO_BIN="$release/sbin/kamailio" CARGO_TARGET_DIR="$target" \
			cargo build --release) || rc=$?
		[ "$rc" != 0 ] ||
			E2E_KAMAILIO_DIR=$release E2E_MEMORY_CALLS=${E2E_MEMORY_CALLS_OTHER:-20000} \
				E2E_ENCAP_CALLS=${E2E_ENCAP_CALLS_OTHER:-300} E2E_CALLS=${E2E_CALLS_OTHER:-1000} \
				OUR_MODULE="$target/release/libkamailio_sctp.so" run_suite "$@" || rc=$?
	else
		root=$("$REPO/tests/roots/make-root.sh" "$release") || rc=$?
		if [ "$rc" = 0 ]; then
			(cd "$REPO" && KAMAILIO_BIN="$root-kamailio" CARGO_TARGET_DIR="$REPO/target/$release" \
				cargo build --release) || rc=$?
		fi
		if [ "$rc" = 0 ]; then
			# the 60,000-call memory soak runs in full on the host release;
			# the others soak 20,000 calls, to keep the whole run within CI time
			# the scenarios of HOST_ONLY (suite.sh) run on the host release only;
			# SCTP over UDP relays 300 calls instead of 1000
			E2E_HOST_ONLY_SKIP=1 \
			E2E_MEMORY_CALLS=${E2E_MEMORY_CALLS_OTHER:-20000} E2E_ENCAP_CALLS=${E2E_ENCAP_CALLS_OTHER:-300} \
			E2E_CALLS=${E2E_CALLS_OTHER:-1000} \
			VMROOT=$root OUR_MODULE="$REPO/target/$release/release/libkamailio_sctp.so" \
				run_suite "$@" || rc=$?
		fi
	fi
	# the core the suite ran against, as it printed it
	core=$(sed -n 's/^e2e suite on .*version: kamailio \([^ ]*\).*/\1/p' "$suite_log" | head -n 1)
	line="$release (kamailio ${core:-?}): $([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)") in $(($(date +%s) - t0)) s"
	# the failed scenarios' names, which a long log may have scrolled away
	names=$(sed -n 's/^failed: *//p' "$suite_log" 2>/dev/null | tail -n 1)
	[ -z "$names" ] || line="$line; failed: $names"
	echo "##### $line"
	summary="$summary
  $line"
	[ "$rc" = 0 ] || failed=1
done
echo
echo "e2e per release:$summary"
exit "$failed"
