#!/bin/bash
# profile.sh: where each module spends, same VM run (run.sh BENCH_SCRIPT=profile.sh).
# For ours and the C module in turn: syscalls of all Kamailio processes
# (strace -c -f) over BENCH_PROF_STRACE_CALLS calls at 200/s, then a perf profile
# (perf record -g, all its processes) over BENCH_PROF_PERF_CALLS calls at 600/s.
# Writes BENCH_OUT/strace-WHICH.txt, perf-WHICH.txt (by symbol), perf-dso-WHICH.txt,
# perf-module-WHICH.txt (the module's own functions) and perf-kernel-WHICH.txt
# (kernel functions, flat), perf-core-WHICH.txt (the core's functions, flat)
# and perf-callers-SYM-WHICH.txt (who calls SYM, for BENCH_PROF_CALLERS),
# perf-annotate-N-WHICH.txt (the Nth function of BENCH_PROF_ANNOTATE, by instruction).
# With BENCH_PROF_ROUNDS above 1 the perf profile runs that many times for
# each module, alternating, each on a fresh Kamailio (the reports above are of
# the first round); module-share.csv has every round's samples (the module's
# and all), and the pooled shares are printed at the end: one profile's share
# moves by a few tenths of a point from run to run.
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
STRACE_CALLS=${BENCH_PROF_STRACE_CALLS:-1000}
PERF_CALLS=${BENCH_PROF_PERF_CALLS:-3000}
ROUNDS=${BENCH_PROF_ROUNDS:-1}
probe_workdir prof

calls() { # WHICH RATE CALLS
	uac_calls "prof-$1-$2-$3" "$1" "$3" "$2"
	say "$1: $SIPP_OK ok, $SIPP_FAILED failed"
}

# samples DATA DSO: "MODULE_SAMPLES ALL_SAMPLES" of a perf recording
samples() {
	perf report -i "$1" --no-children --sort dso -g none -n --stdio 2>/dev/null |
		awk -v dso="$2" '/%/ { all += $2; if ($3 == dso) mod += $2 } END { print mod + 0, all + 0 }'
}

# strace_calls WHICH PIDS: syscall counts of STRACE_CALLS calls
strace_calls() {
	local args="" p st
	for p in $2; do args="$args -p $p"; done
	# shellcheck disable=SC2086
	strace -c -f $args -o "$BENCH_OUT/strace-$1.txt" &
	st=$!
	sleep 2
	calls "$1" 200 "$STRACE_CALLS"
	kill -INT $st
	wait $st
	echo "== $1: syscalls for $STRACE_CALLS calls"
	cat "$BENCH_OUT/strace-$1.txt"
}

# reports WHICH DATA: the text reports of one recording
reports() {
	local which=$1 data=$2 sym n
	perf report -i "$data" --no-children --sort dso,sym --stdio 2>/dev/null |
		grep -v '^$' | grep -v '^ *|' | grep -v '^ *-' | head -80 >"$BENCH_OUT/perf-$which.txt"
	perf report -i "$data" --no-children --sort dso -g none --stdio 2>/dev/null |
		grep '%' | head -20 >"$BENCH_OUT/perf-dso-$which.txt"
	# the module's own functions, by share of all samples
	perf report -i "$data" --no-children --dsos "$(basename "${MODULE[$which]}")" \
		--sort sym -g none --stdio 2>/dev/null | grep '%' | head -40 >"$BENCH_OUT/perf-module-$which.txt"
	# the kernel's functions, flat: what the module asks of the kernel
	perf report -i "$data" --no-children --dsos '[kernel.kallsyms]' \
		--sort sym -g none --stdio 2>/dev/null | grep '%' | head -60 >"$BENCH_OUT/perf-kernel-$which.txt"
	# the core's functions, flat, and who calls the ones named in
	# BENCH_PROF_CALLERS (default get_debug_level qm_malloc)
	perf report -i "$data" --no-children --dsos kamailio \
		--sort sym -g none --stdio 2>/dev/null | grep '%' | head -60 >"$BENCH_OUT/perf-core-$which.txt"
	for sym in ${BENCH_PROF_CALLERS:-get_debug_level qm_malloc}; do
		perf report -i "$data" --no-children --symbols "$sym" -g caller,0.5,callee \
			--stdio 2>/dev/null | grep -v '^$' | head -60 >"$BENCH_OUT/perf-callers-$sym-$which.txt"
	done
	# instruction-level profiles of the functions named in BENCH_PROF_ANNOTATE
	# (demangled names; ours only: the C module has no debug symbols)
	n=0
	for sym in ${BENCH_PROF_ANNOTATE:-}; do
		n=$((n + 1))
		perf annotate -i "$data" --stdio --no-source "$sym" 2>/dev/null |
			head -1500 >"$BENCH_OUT/perf-annotate-$n-$which.txt"
	done
	echo "== $which: perf by dso"; cat "$BENCH_OUT/perf-dso-$which.txt"
	echo "== $which: the module's functions"; cat "$BENCH_OUT/perf-module-$which.txt"
	echo "== $which: perf by symbol"; head -50 "$BENCH_OUT/perf-$which.txt"
}

echo "round,module,module_samples,all_samples" >"$BENCH_OUT/module-share.csv"
for round in $(seq 1 "$ROUNDS"); do
	for which in ours c; do
		start_uas "$which" || exit 2
		calls "$which" 500 500
		pids=$(pids_of "${KAM_PID[$which]}")
		[ "$round" = 1 ] && strace_calls "$which" "$pids"
		data=$E2E_WORK/perf-$which-$round.data
		perf record -g -F 499 -p "$(echo $pids | tr ' ' ',')" -o "$data" 2>/dev/null &
		pr=$!
		sleep 1
		calls "$which" 600 "$PERF_CALLS"
		kill -INT $pr
		wait $pr
		counts=$(samples "$data" "$(basename "${MODULE[$which]}")")
		mod=${counts% *} all=${counts#* }
		echo "$round,$which,$mod,$all" >>"$BENCH_OUT/module-share.csv"
		say "$which round $round: the module has $mod of $all samples"
		if [ "$round" = 1 ]; then reports "$which" "$data"; fi
		rm -f "$data"
		stop_kamailio "$which"
	done
done
echo "== the module's share of all samples, $ROUNDS round(s) pooled"
awk -F, 'NR > 1 { m[$2] += $3; a[$2] += $4 }
	END { for (w in m) printf "%s: %d of %d samples, %.2f %%\n", w, m[w], a[w], 100 * m[w] / a[w] }' \
	"$BENCH_OUT/module-share.csv" | sort
