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
E2E_WORK=${TMPDIR:-/tmp}/kamailio-sctp-burstprobe.$$
SC_DIR=$E2E_WORK
mkdir -p "$SC_DIR"
trap 'stop_all; rm -rf "$CTL_DIR"' EXIT

snmp() { awk '{ print $1, $2 }' /proc/net/sctp/snmp | sort; }
for which in ours c; do
	start_uas "$which" || exit 2
	sipp_counts "warm-$which" 60 -sn uac -m 1000 -r 500 -l 1000 -p 5090 -t s1 -i 127.0.0.1 -recv_timeout 5s "127.0.0.1:${PORT[$which]}"
done
for round in $(seq "$ROUNDS"); do
	for which in ours c; do
		snmp >"$E2E_WORK/snmp0"
		(while :; do echo "t=$(date +%s.%N)"; cat /proc/net/sctp/assocs; sleep 0.1; done) >"$BENCH_OUT/assocs-$which-r$round.txt" 2>&1 &
		mon=$!
		sipp_counts "burst-$which-r$round" 80 -sn uac -m "$CALLS" -r "$RATE" -l "$CALLS" -p 5090 -t s1 -i 127.0.0.1 -recv_timeout 5s "127.0.0.1:${PORT[$which]}"
		kill "$mon"
		wait "$mon" 2>/dev/null
		snmp >"$E2E_WORK/snmp1"
		echo "== $which round $round: $SIPP_OK ok, $SIPP_FAILED failed; sctp snmp counters that changed:"
		join "$E2E_WORK/snmp0" "$E2E_WORK/snmp1" | awk '$3 != $2 { printf "  %-32s %+d\n", $1, $3 - $2 }' |
			tee "$BENCH_OUT/snmp-$which-r$round.txt"
		sleep 2
	done
done
