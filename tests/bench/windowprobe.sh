#!/bin/bash
# windowprobe.sh (run.sh BENCH_SCRIPT=windowprobe.sh): at the top rates of the
# steps, whose receive window closes on the association between sipp and
# Kamailio: Kamailio's (its receivers do not keep up) or sipp's (sipp does
# not read). Both Kamailio instances side by side (as bench.sh); for
# BENCH_PROBE_ROUNDS rounds, each rate of BENCH_PROBE_RATES for 4 s, ours and
# the C module in turn (the first alternating), sipp run as bench.sh runs it
# (sipp_settings), `ss --sctp --info` read every 0.5 s. Writes
# BENCH_OUT/window.csv, a row per measurement and end of the association:
#   which,rate,round,failed,end,polls,closed,min_rwnd,max_recvq,max_sendq
# end: kamailio or sipp; polls: readings that showed the association;
# closed: those in which that end advertised a window under 1 kB, too small
# for a SIP request (ss leaves the field out when it is 0); max_recvq,
# max_sendq: bytes waiting to be read, and sent but not acknowledged or not
# yet sent, at that end.
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RATES=${BENCH_PROBE_RATES:-2300 2500}
ROUNDS=${BENCH_PROBE_ROUNDS:-2}
sipp_settings || exit 2
probe_workdir window
CSV=$BENCH_OUT/window.csv
echo "which,rate,round,failed,end,polls,closed,min_rwnd,max_recvq,max_sendq" >"$CSV"

# ss_poll FILE: appends a reading of every SCTP association to FILE every 0.5 s.
ss_poll() {
	while :; do
		echo "@"
		ss --sctp --numeric --info 2>/dev/null
		sleep 0.5
	done >>"$1"
}

# window_rows WHICH RATE ROUND FAILED FILE: the CSV rows of one measurement.
# ss prints an association as "`- STATE RECVQ SENDQ LOCAL PEER", then a line
# of NAME:VALUE fields, leaving out those that are 0.
window_rows() {
	awk -v which="$1" -v rate="$2" -v round="$3" -v failed="$4" '
		$1 == "`-" && ($5 ~ /:5090$/ || $6 ~ /:5090$/) {
			end = ($5 ~ /:5090$/) ? "sipp" : "kamailio"
			polls[end]++
			if ($3 > maxr[end]) maxr[end] = $3
			if ($4 > maxs[end]) maxs[end] = $4
			getline
			w = 0
			for (i = 1; i <= NF; i++) if ($i ~ /^rwnd:/) { w = $i; sub(/^rwnd:/, "", w); w += 0 }
			if (w < 1024) closed[end]++
			if (!(end in minw) || w < minw[end]) minw[end] = w
		}
		END {
			for (e in polls)
				print which "," rate "," round "," failed "," e "," polls[e] "," closed[e] + 0 "," minw[e] "," maxr[e] + 0 "," maxs[e] + 0
		}' "$5"
}

for which in ours c; do
	start_uas "$which" || exit 2
	uac_calls "warm-$which" "$which" 1000 500
	say "$which: warm-up $SIPP_OK ok, $SIPP_FAILED failed"
done
n=0
for round in $(seq "$ROUNDS"); do
	for rate in $RATES; do
		n=$((n + 1))
		order="ours c"
		[ $((n % 2)) = 1 ] || order="c ours"
		for which in $order; do
			f=$E2E_WORK/ss-$which-$rate-$round.txt
			: >"$f"
			ss_poll "$f" &
			poller=$!
			uac_calls "window-$which-$rate-$round" "$which" $((rate * 4)) "$rate"
			kill "$poller"
			wait "$poller" 2>/dev/null
			rows=$(window_rows "$which" "$rate" "$round" "$SIPP_FAILED" "$f")
			[ -n "$rows" ] || say "ss showed no association with sipp (no sctp_diag in this kernel?)"
			[ -z "$rows" ] || echo "$rows" | tee -a "$CSV"
			# the first measurement's readings as ss printed them, to check the parsing against
			[ "$n" != 1 ] || cp "$f" "$BENCH_OUT/ss-sample-$which.txt"
			sleep 1
		done
	done
done
echo "== per module and end: polls, polls with the window closed, failed calls"
awk -F, 'NR > 1 { k = $1 " " $5; p[k] += $6; c[k] += $7; f[k] += $4 }
	END { for (k in p) printf "%s: %d polls, %d closed (%.0f %%), failed calls %d\n", k, p[k], c[k], 100 * c[k] / p[k], f[k] }' \
	"$CSV" | sort | tee "$BENCH_OUT/window-summary.txt"
