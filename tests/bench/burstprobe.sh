#!/bin/bash
# burstprobe.sh (run.sh BENCH_SCRIPT=burstprobe.sh): what the kernel's SCTP
# stack did during each burst (BENCH_BURST_CALLS calls at BENCH_BURST_RATE/s,
# BENCH_BURST_ROUNDS rounds, ours and the C module in turn, side by side): the
# counters of /proc/net/sctp/snmp that changed, and the association to sipp as
# /proc/net/sctp/assocs shows it (queues, window) every 100 ms.
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RATE=${BENCH_BURST_RATE:-3000}
CALLS=${BENCH_BURST_CALLS:-6000}
ROUNDS=${BENCH_BURST_ROUNDS:-2}
probe_workdir burstprobe

snmp() { awk '{ print $1, $2 }' /proc/net/sctp/snmp | sort; }
for which in ours c; do
	start_uas "$which" || exit 2
	uac_calls "warm-$which" "$which" 1000 500
done
for round in $(seq "$ROUNDS"); do
	for which in ours c; do
		snmp >"$E2E_WORK/snmp0"
		(while :; do echo "t=$(date +%s.%N)"; cat /proc/net/sctp/assocs; sleep 0.1; done) >"$BENCH_OUT/assocs-$which-r$round.txt" 2>&1 &
		mon=$!
		uac_calls "burst-$which-r$round" "$which" "$CALLS" "$RATE"
		kill "$mon"
		wait "$mon" 2>/dev/null
		snmp >"$E2E_WORK/snmp1"
		echo "== $which round $round: $SIPP_OK ok, $SIPP_FAILED failed; sctp snmp counters that changed:"
		join "$E2E_WORK/snmp0" "$E2E_WORK/snmp1" | awk '$3 != $2 { printf "  %-32s %+d\n", $1, $3 - $2 }' |
			tee "$BENCH_OUT/snmp-$which-r$round.txt"
		sleep 2
	done
done
