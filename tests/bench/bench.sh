#!/bin/bash
# bench.sh: the measurements of tests/bench, run on a kernel with SCTP (run.sh
# boots the test VM for it). Starts two UAS Kamailio instances side by side,
# one with our module (port 5060), one with Debian's C module (port 5062),
# and drives them with sipp in turns, alternating which module goes first in
# each round so that neither always runs on a warmer or colder machine.
#
# Writes BENCH_OUT/results.csv, one row per measurement:
#   test,module,round,rate,calls,ok,failed,seconds,cpu_ticks,sendq_full,ctx_switches,recvmsg,involuntary
# test: cpu (steady rate), step (rising rates), burst, warmup (after a start),
# idle (no traffic for BENCH_IDLE_SECONDS: rate and calls 0). cpu_ticks: utime +
# stime of all processes of that Kamailio (its process group) over the
# measurement, in clock ticks (CLK_TCK); sendq_full: increase of the sctp
# counter sendq_full; seconds: wall time of the sipp run; ctx_switches: the
# context switches (voluntary and not) of all processes of that Kamailio over
# the measurement (each is costly in the emulated VM); recvmsg: the recvmsg
# calls of all its processes (perf stat on the syscalls:sys_enter_recvmsg
# tracepoint, "?" without perf); involuntary: the part of ctx_switches that
# were preemptions (the rest: a process blocked).
# Environment: see run.sh (BENCH_*), OUR_MODULE, C_MODULE.
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	q_cpu_rate=300 q_cpu_calls=600 q_cpu_rounds=1
	q_rates="500 1500" q_step_s=1
	q_burst_rate=3000 q_burst_calls=1500 q_burst_rounds=1 q_warm=200
else
	q_cpu_rate=600 q_cpu_calls=6000 q_cpu_rounds=2
	q_rates=$(seq -s ' ' 500 200 2500) q_step_s=4
	q_burst_rate=3000 q_burst_calls=6000 q_burst_rounds=2 q_warm=1000
fi
CPU_RATE=${BENCH_CPU_RATE:-$q_cpu_rate}
CPU_CALLS=${BENCH_CPU_CALLS:-$q_cpu_calls}
CPU_ROUNDS=${BENCH_CPU_ROUNDS:-$q_cpu_rounds}
STEP_RATES=${BENCH_STEP_RATES:-$q_rates}
STEP_SECONDS=${BENCH_STEP_SECONDS:-$q_step_s}
BURST_RATE=${BENCH_BURST_RATE:-$q_burst_rate}
BURST_CALLS=${BENCH_BURST_CALLS:-$q_burst_calls}
BURST_ROUNDS=${BENCH_BURST_ROUNDS:-$q_burst_rounds}
# Calls at WARMUP_RATE right after each start, recorded as test "warmup" and
# left out of the table: the first seconds after a start lose calls even at
# low rates (both modules), which would blur whichever round comes first.
WARMUP_CALLS=${BENCH_WARMUP_CALLS:-$q_warm}
WARMUP_RATE=${BENCH_WARMUP_RATE:-500}
# A call whose reply was lost fails after this long (sipp -recv_timeout);
# short, so that lost calls of one step do not spill into the next.
RECV_TIMEOUT=${BENCH_RECV_TIMEOUT:-5}
# 1: only the measured module's Kamailio runs, started afresh for each
# measurement; 0: both run side by side all along.
SEPARATE=${BENCH_SEPARATE:-0}
# The order of the steps: alternate (the modules take turns, the first
# alternating per rate), or each module's steps back to back (see below).
STEP_ORDER=${BENCH_STEP_ORDER:-alternate}
case $STEP_ORDER in
alternate | "ours c" | "c ours") ;;
*)
	echo "bench: BENCH_STEP_ORDER must be alternate, \"ours c\" or \"c ours\", not \"$STEP_ORDER\"" >&2
	exit 2
	;;
esac
# Calls at WARMUP_RATE to the same module right before each step: with the
# modules alternating, a step otherwise starts right after the other
# instance ran.
STEP_WARMUP_CALLS=${BENCH_STEP_WARMUP_CALLS:-0}
[[ $STEP_WARMUP_CALLS =~ ^[0-9]+$ ]] || {
	echo "bench: BENCH_STEP_WARMUP_CALLS must be a number of calls, not \"$STEP_WARMUP_CALLS\"" >&2
	exit 2
}
# Seconds without any traffic over which each module's CPU is measured, after
# the steady-rate rounds (0: none), and how often.
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-60}
IDLE_ROUNDS=${BENCH_IDLE_ROUNDS:-1}
SIPP_PORT=5090
# sipp's options, socket buffers and niceness (BENCH_SIPP_*; see common.sh)
sipp_settings || exit 2

# Logs on the VM's tmpfs: writing them to the 9p share would slow Kamailio
# down under overload (an ERROR line per dropped message) and skew the numbers.
E2E_WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/kamailio-sctp-bench.$$}
SC_DIR=$E2E_WORK
mkdir -p "$SC_DIR" "$BENCH_OUT"
CSV=$BENCH_OUT/results.csv
echo "test,module,round,rate,calls,ok,failed,seconds,cpu_ticks,sendq_full,ctx_switches,recvmsg,involuntary" >"$CSV"

finish() {
	stop_all
	rm -rf "$CTL_DIR"
	# Keep the logs with the results (sipp's error files can be large: cut).
	if [ "$E2E_WORK" != "$BENCH_OUT/work" ]; then
		find "$E2E_WORK" -type f -size +20M -exec truncate -s 20M {} + 2>/dev/null
		cp -r "$E2E_WORK" "$BENCH_OUT/work" && rm -rf "$E2E_WORK"
	fi
}
trap finish EXIT
trap 'exit 130' INT TERM

{
	echo "vm_kernel=${E2E_IN_VM:+test VM (qemu TCG), }kernel $(uname -r)"
	echo "kamailio=$(kamailio -v | head -n 1 | sed 's/^version: //; s/[ ,]*$//')"
	echo "sipp=$(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -n 1)"
	echo "cpus=$(nproc)"
	echo "clk_tck=$(getconf CLK_TCK)"
	echo "settings=cpu ${CPU_ROUNDS}x${CPU_CALLS} calls at ${CPU_RATE}/s; steps ${STEP_SECONDS} s at ${STEP_RATES// /,}/s; burst ${BURST_ROUNDS}x${BURST_CALLS} calls at ${BURST_RATE}/s; recv_timeout ${RECV_TIMEOUT} s; warm-up ${WARMUP_CALLS} calls at ${WARMUP_RATE}/s after each start; $([ "$SEPARATE" = 1 ] && echo "one Kamailio at a time, restarted per measurement" || echo "both Kamailio instances running side by side")$([ "$SIPP_NICE" = 0 ] || echo "; sipp at nice $SIPP_NICE")"
} >"$BENCH_OUT/meta-vm.txt"
echo "bench on $(uname -sr)${E2E_IN_VM:+ (test VM)}"
cat "$BENCH_OUT/meta-vm.txt"
echo "OUR_MODULE=$OUR_MODULE; C_MODULE=$C_MODULE; logs in $E2E_WORK"

# warm_up WHICH: the warm-up calls against a freshly started Kamailio.
warm_up() {
	[ "$WARMUP_CALLS" -gt 0 ] || return 0
	measure warmup "$1" 1 "$WARMUP_RATE" "$WARMUP_CALLS"
}

# step WHICH RATE: one step, after STEP_WARMUP_CALLS calls to the same module
# (row "stepwarm", not counted).
step() {
	[ "$STEP_WARMUP_CALLS" -le 0 ] || measure stepwarm "$1" 1 "$WARMUP_RATE" "$STEP_WARMUP_CALLS"
	measure step "$1" 1 "$2" $(($2 * STEP_SECONDS))
}

# cpu_ticks PGID: utime + stime of all processes in process group PGID.
cpu_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" '$5 == g { t += $14 + $15 } END { print t + 0 }'
}

# involuntary PGID: the preemptions of all processes in process group PGID.
involuntary() {
	# shellcheck disable=SC2046 # one pid a word
	proc_status_sum nonvoluntary_ctxt_switches $(pids_of "$1")
}

# ctx_switches PGID: the context switches of all processes in process group PGID.
ctx_switches() {
	# shellcheck disable=SC2046 # one pid a word
	ctx_switches_of $(pids_of "$1")
}

# recvmsg_start PGID: counts the recvmsg calls of the processes of PGID
# (perf stat, in the background) until recvmsg_stop, which sets RECVMSG_COUNT
# ("?" without perf, or when perf could not count). recvmsg_stop must run in
# this shell, not in $(...): a subshell cannot wait for the perf this one started.
RECVMSG_PERF="" RECVMSG_FILE="" RECVMSG_COUNT=""
recvmsg_start() {
	RECVMSG_PERF="" RECVMSG_FILE=$E2E_WORK/recvmsg.$$.txt
	command -v perf >/dev/null || return 0
	rm -f "$RECVMSG_FILE"
	perf stat -x, -e syscalls:sys_enter_recvmsg -p "$(pids_of "$1" | paste -sd,)" -o "$RECVMSG_FILE" \
		2>"$RECVMSG_FILE.err" &
	RECVMSG_PERF=$!
	# perf attaches before the load starts
	sleep 0.5
}
recvmsg_stop() {
	local n=""
	if [ -n "$RECVMSG_PERF" ]; then
		kill -INT "$RECVMSG_PERF" 2>/dev/null
		wait "$RECVMSG_PERF" 2>/dev/null
		n=$(awk -F, '/sys_enter_recvmsg/ { print $1 }' "$RECVMSG_FILE" 2>/dev/null)
	fi
	RECVMSG_COUNT=$n
	[[ $n =~ ^[0-9]+$ ]] && return 0
	RECVMSG_COUNT="?"
	[ -n "$RECVMSG_PERF" ] || return 0
	# why perf gave no count, on the run's log
	echo "  recvmsg not counted; perf stat wrote:"
	sed 's/^/    /' "$RECVMSG_FILE" "$RECVMSG_FILE.err" 2>/dev/null
}

# sctp_counters: "T3-EXPIRIES DISCARDS", two kernel SCTP counters from one read
# of /proc/net/sctp/snmp (both ends of the association count in it, they
# share the VM's kernel).
sctp_counters() {
	awk '$1 == "SctpT3RtxExpireds" { t = $2 } $1 == "SctpInDataChunkDiscards" { d = $2 }
		END { print t + 0, d + 0 }' /proc/net/sctp/snmp 2>/dev/null || echo "0 0"
}

# sipp_starved: how often the last sipp run did not get to run for 500 ms
# (its "minor watchdog" warnings).
sipp_starved() {
	grep -o 'minor watchdog timer [0-9]*ms has been tripped' "$SIPP_DIR/errors.log" 2>/dev/null | wc -l
}

# ready WHICH: Kamailio WHICH running (started and warmed up if it was not, or
# died), and with BENCH_SEPARATE=1 the only one.
ready() {
	local which=$1 other
	if [ "$SEPARATE" = 1 ]; then
		for other in "${!PORT[@]}"; do
			[ "$other" = "$which" ] || stop_kamailio "$other"
		done
	fi
	if [ -z "${KAM_PID[$which]:-}" ]; then
		start_uas "$which" && warm_up "$which"
	elif ! alive "${KAM_PID[$which]}"; then
		say "ERROR: kamailio[$which] is no longer running; restarting it"
		stop_kamailio "$which"
		start_uas "$which" && warm_up "$which"
	fi
}

# measure TEST WHICH ROUND RATE CALLS: one sipp run (built-in uac scenario:
# INVITE, ACK, BYE) against Kamailio WHICH, one CSV row.
measure() {
	local test=$1 which=$2 round=$3 rate=$4 calls=$5 t0 c0 c1 q0 q1 secs dq x0 x1 i0 i1 t30 t31 d0 d1 rm
	ready "$which" || return 1
	echo
	echo "=== $test $which round $round: $calls calls at $rate/s"
	q0=$(counter_value "$which" sendq_full 2>/dev/null)
	c0=$(cpu_ticks "${KAM_PID[$which]}")
	x0=$(ctx_switches "${KAM_PID[$which]}")
	i0=$(involuntary "${KAM_PID[$which]}")
	read -r t30 d0 <<<"$(sctp_counters)"
	recvmsg_start "${KAM_PID[$which]}"
	t0=$(now)
	# No limit on open calls (-l): sipp must keep the rate, not slow down
	# when replies are late or lost.
	sipp_counts "$test-$which-r$round-$rate" $((calls / rate + RECV_TIMEOUT + 60)) \
		-sn uac -m "$calls" -r "$rate" -l "$calls" -p "$SIPP_PORT" -t s1 -i 127.0.0.1 \
		-recv_timeout "${RECV_TIMEOUT}s" ${SIPP_EXTRA:+$SIPP_EXTRA} "127.0.0.1:${PORT[$which]}"
	secs=$(elapsed "$t0")
	c1=$(cpu_ticks "${KAM_PID[$which]}")
	x1=$(ctx_switches "${KAM_PID[$which]}")
	i1=$(involuntary "${KAM_PID[$which]}")
	recvmsg_stop
	rm=$RECVMSG_COUNT
	q1=$(counter_value "$which" sendq_full 2>/dev/null)
	read -r t31 d1 <<<"$(sctp_counters)"
	dq="?"
	[[ $q0 =~ ^[0-9]+$ && $q1 =~ ^[0-9]+$ ]] && dq=$((q1 - q0))
	# A DATA chunk the receiving kernel discarded (its socket's buffer full)
	# is sent again only when the T3 timer expires (RTO, 1 s at first): until
	# then the sender's send buffer fills and its messages fail.
	say "$which: cpu $((c1 - c0)) ticks, context switches $((x1 - x0)), sendq_full +$dq;" \
		"kernel: T3 expiries +$((t31 - t30)), DATA chunks discarded +$((d1 - d0));" \
		"sipp's watchdog tripped $(sipp_starved) times; recvmsg $rm"
	[ "$SIPP_FAILED" = 0 ] || sipp_explain
	echo "$test,$which,$round,$rate,$calls,$SIPP_OK,$SIPP_FAILED,$secs,$((c1 - c0)),$dq,$((x1 - x0)),$rm,$((i1 - i0))" >>"$CSV"
	check_alive "$which" || true
	# Let the associations of this sipp close before the next one.
	sleep 1
}

# idle ROUND: the CPU, context switches and recvmsg calls of each module's
# Kamailio over IDLE_SECONDS with no traffic, after the warm-up (one at a
# time with BENCH_SEPARATE=1, else both at once). One row each.
idle() {
	local round=$1 which c1 x1 i1 t0 secs
	local -A c0s=() x0s=() i0s=()
	for which in ours c; do
		ready "$which" || return 1
		[ "$SEPARATE" = 1 ] || continue
		idle_one "$which" "$round"
	done
	[ "$SEPARATE" = 1 ] && return 0
	# side by side: both over the same seconds (recvmsg not counted)
	echo
	echo "=== idle both round $round: ${IDLE_SECONDS} s without traffic"
	sleep 5
	for which in ours c; do
		c0s[$which]=$(cpu_ticks "${KAM_PID[$which]}")
		x0s[$which]=$(ctx_switches "${KAM_PID[$which]}")
		i0s[$which]=$(involuntary "${KAM_PID[$which]}")
	done
	t0=$(now)
	sleep "$IDLE_SECONDS"
	secs=$(elapsed "$t0")
	for which in ours c; do
		c1=$(cpu_ticks "${KAM_PID[$which]}")
		x1=$(ctx_switches "${KAM_PID[$which]}")
		i1=$(involuntary "${KAM_PID[$which]}")
		say "$which idle: cpu $((c1 - c0s[$which])) ticks, context switches $((x1 - x0s[$which]))"
		echo "idle,$which,$round,0,0,0,0,$secs,$((c1 - c0s[$which])),0,$((x1 - x0s[$which])),?,$((i1 - i0s[$which]))" >>"$CSV"
	done
}

# idle_one WHICH ROUND: idle's measurement of one module alone.
idle_one() {
	local which=$1 round=$2 c0 c1 x0 x1 i0 i1 t0 secs rm
	echo
	echo "=== idle $which round $round: ${IDLE_SECONDS} s without traffic"
	sleep 5
	c0=$(cpu_ticks "${KAM_PID[$which]}")
	x0=$(ctx_switches "${KAM_PID[$which]}")
	i0=$(involuntary "${KAM_PID[$which]}")
	recvmsg_start "${KAM_PID[$which]}"
	t0=$(now)
	sleep "$IDLE_SECONDS"
	secs=$(elapsed "$t0")
	c1=$(cpu_ticks "${KAM_PID[$which]}")
	x1=$(ctx_switches "${KAM_PID[$which]}")
	i1=$(involuntary "${KAM_PID[$which]}")
	recvmsg_stop
	rm=$RECVMSG_COUNT
	say "$which idle: cpu $((c1 - c0)) ticks, context switches $((x1 - x0)), recvmsg $rm"
	echo "idle,$which,$round,0,0,0,0,$secs,$((c1 - c0)),0,$((x1 - x0)),$rm,$((i1 - i0))" >>"$CSV"
}

# pair N: the two modules, ours first when N is odd, C first when even.
pair() { if [ $(($1 % 2)) = 1 ]; then echo "ours c"; else echo "c ours"; fi; }

if [ "$SEPARATE" = 0 ]; then
	start_uas ours && warm_up ours || exit 2
	start_uas c && warm_up c || exit 2
fi

n=0
for round in $(seq "$CPU_ROUNDS"); do
	n=$((n + 1))
	for which in $(pair $n); do
		measure cpu "$which" "$round" "$CPU_RATE" "$CPU_CALLS"
	done
done
if [ "$IDLE_SECONDS" -gt 0 ]; then
	for round in $(seq "$IDLE_ROUNDS"); do
		idle "$round"
	done
fi
# Every rate is run for both modules, failures or not: the whole curve.
# BENCH_STEP_ORDER="ours c" (or "c ours") runs all of one module's steps,
# then all of the other's, so that no step but the first of each block comes
# right after the other module's (to tell an effect of switching between the
# two in the emulated VM from the modules').
if [ "$STEP_ORDER" != alternate ]; then
	for which in $STEP_ORDER; do
		for rate in $STEP_RATES; do
			step "$which" "$rate"
		done
	done
else
	for rate in $STEP_RATES; do
		n=$((n + 1))
		for which in $(pair $n); do
			step "$which" "$rate"
		done
	done
fi
for round in $(seq "$BURST_ROUNDS"); do
	n=$((n + 1))
	for which in $(pair $n); do
		measure burst "$which" "$round" "$BURST_RATE" "$BURST_CALLS"
	done
done

echo
echo "bench: results in $CSV"
cat "$CSV"
