#!/bin/bash
# suite.sh [SCENARIO...]: run the e2e scenarios (all by default) here, on a
# kernel with SCTP (tests/e2e/run.sh picks a VM when this one has none).
#
# Environment:
#   OUR_MODULE  the module under test (default: REPO/target/release/libkamailio_sctp.so)
#   C_MODULE    Debian's C module, the reference
#   E2E_WORK    work directory (default: $VM_OUT_DIR/work in the VM, else a new temp dir)
#   E2E_KAMAILIO_DIR  a Kamailio installed under DIR (sbin/kamailio, sbin/kamcmd,
#               lib/kamailio/modules/, e.g. a core built from source): its
#               binaries and modules, and its C module as C_MODULE's default
#   E2E_CALLS, E2E_RATE, E2E_SMALL_CALLS, E2E_START_TIMEOUT, E2E_DEBUG,
#   E2E_CTL_DIR: see scenarios.sh, parity.sh, lib.sh
#
# Prints per scenario what ran and what was seen, then "N passed, N failed";
# exits 1 if any scenario failed, 2 if the suite could not run at all.
set -u
# E2E_XTRACE=1: trace every command with its time, to find where time goes
if [ "${E2E_XTRACE:-0}" = 1 ]; then
	PS4='+ ${EPOCHREALTIME} '
	set -x
fi
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
OUR_MODULE=${OUR_MODULE:-$REPO/target/release/libkamailio_sctp.so}
if [ -n "${E2E_KAMAILIO_DIR:-}" ]; then
	PATH=$E2E_KAMAILIO_DIR/sbin:$PATH
	KAM_MPATH=${KAM_MPATH:-$E2E_KAMAILIO_DIR/lib/kamailio/modules/}
	C_MODULE=${C_MODULE:-$E2E_KAMAILIO_DIR/lib/kamailio/modules/sctp.so}
fi
C_MODULE=${C_MODULE:-/usr/lib/x86_64-linux-gnu/kamailio/modules/sctp.so}

# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/lib.sh"
. "$E2E_DIR/scenarios.sh"
. "$E2E_DIR/scale.sh"
. "$E2E_DIR/visibility.sh"

# Which scenarios.
# BY_NAME_SCENARIOS: run only when named (controls too slow for every run).
selected=${*:-$SCENARIOS}
for name in $selected; do
	case " $SCENARIOS ${BY_NAME_SCENARIOS:-} " in
	*" $name "*) ;;
	*) echo "suite: unknown scenario '$name' (known: $SCENARIOS; by name only: ${BY_NAME_SCENARIOS:-})" >&2; exit 2 ;;
	esac
done

# Kernel SCTP is a must.
if ! checksctp >/dev/null 2>&1 &&
   ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, 132)' 2>/dev/null; then
	echo "suite: ERROR: this kernel ($(uname -r)) does not support SCTP sockets." >&2
	echo "suite: run tests/e2e/run.sh instead, it runs the suite in a VM." >&2
	exit 2
fi
for tool in kamailio sipp setsid timeout; do
	command -v "$tool" >/dev/null ||
		{ echo "suite: ERROR: $tool missing (tests/e2e/install-deps.sh)" >&2; exit 2; }
done

if [ -z "${E2E_WORK:-}" ]; then
	if [ -n "${VM_OUT_DIR:-}" ]; then
		E2E_WORK=$VM_OUT_DIR/work
	else
		E2E_WORK=$(mktemp -d "${TMPDIR:-/tmp}/kamailio-sctp-e2e.XXXXXX")
	fi
fi
mkdir -p "$E2E_WORK"

trap 'stop_all; rm -rf "$CTL_DIR"' EXIT
trap 'stop_all; rm -rf "$CTL_DIR"; exit 130' INT TERM

echo "e2e suite on $(uname -sr)${E2E_IN_VM:+ (test VM)}: $(kamailio -v | head -n 1); $(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -n 1)"
echo "OUR_MODULE=$OUR_MODULE $([ -f "$OUR_MODULE" ] || echo '(MISSING)')"
echo "C_MODULE=$C_MODULE $([ -f "$C_MODULE" ] || echo '(MISSING)')"
echo "work directory: $E2E_WORK; scenarios: $selected"

passed=0 failed=0 failed_names=""
t_suite=$(now)
skipped_names=""
for name in $selected; do
	# scenarios whose outcome does not depend on the release (HOST_ONLY, with
	# the reason) run on the host release only (tests/e2e/releases.sh)
	if [ "${E2E_HOST_ONLY_SKIP:-0}" = 1 ] && [ -n "${HOST_ONLY[$name]:-}" ]; then
		echo
		echo "--- SKIP [$name] (host release only: ${HOST_ONLY[$name]})"
		skipped_names+=" $name"
		continue
	fi
	begin_scenario "$name"
	echo
	echo "=== [$name]"
	t0=$(now)
	if "sc_${name//-/_}"; then ok=1; else ok=0; fi
	stop_all
	if [ $ok = 1 ]; then
		passed=$((passed + 1))
		echo "--- PASS [$name] ($(elapsed "$t0") s)"
	else
		show_logs
		failed=$((failed + 1))
		failed_names+=" $name"
		echo "--- FAIL [$name] ($(elapsed "$t0") s)"
	fi
done

echo
echo "suite took $(elapsed "$t_suite") s; work directory: $E2E_WORK"
[ -z "$failed_names" ] || echo "failed:$failed_names"
[ -z "$skipped_names" ] || echo "skipped (host release only):$skipped_names"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
