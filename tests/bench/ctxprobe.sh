#!/bin/bash
# ctxprobe.sh (run.sh BENCH_SCRIPT=ctxprobe.sh): per Kamailio process, the
# context switches (voluntary/involuntary) and CPU ticks over PROBE_CALLS calls
# at BENCH_PROBE_RATE/s, ours and the C module in turn, with each process's role.
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RATE=${BENCH_PROBE_RATE:-1300}
CALLS=${BENCH_PROBE_CALLS:-5200}
probe_workdir probe

snap() { # PGID -> "pid vol invol ticks" lines
	local p
	for p in $(pids_of "$1"); do
		echo "$p $(awk '/^voluntary_ctxt/ { v = $2 } /^nonvoluntary_ctxt/ { n = $2 } END { print v + 0, n + 0 }' /proc/$p/status) $(awk '{ print $14 + $15 }' /proc/$p/stat)"
	done
}
for which in ours c; do
	start_uas "$which" || exit 2
	uac_calls "warm-$which" "$which" 1000 500
	kam_rpc "$which" core.psx >/dev/null
	roles=$(printf '%s\n' "$RPC_OUT" | awk '/^PID:|pid:/ { pid = $2 } /^DSC:|dsc:/ { $1 = ""; print pid, $0 }')
	before=$(snap "${KAM_PID[$which]}")
	pl=$(pids_of "${KAM_PID[$which]}" | paste -sd,)
	perf stat --per-thread -p "$pl" -o "$BENCH_OUT/perfstat-$which.txt" \
		-e 'syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_recvmsg,syscalls:sys_enter_sendmsg,syscalls:sys_exit_recvmsg,sched:sched_switch' &
	ps_pid=$!
	sleep 1
	uac_calls "probe-$which" "$which" "$CALLS" "$RATE"
	after=$(snap "${KAM_PID[$which]}")
	kill -INT "$ps_pid"
	wait "$ps_pid"
	grep -v '^$' "$BENCH_OUT/perfstat-$which.txt" | grep -v ' 0 ' 
	echo "== $which: $SIPP_OK ok, $SIPP_FAILED failed; per process: pid voluntary involuntary ticks role"
	echo "$before" | sort >"$E2E_WORK/before"
	echo "$after" | sort >"$E2E_WORK/after"
	join "$E2E_WORK/before" "$E2E_WORK/after" | while read -r p v0 n0 t0 v1 n1 t1; do
		echo "$p $((v1 - v0)) $((n1 - n0)) $((t1 - t0)) $(echo "$roles" | awk -v p="$p" '$1 == p { $1 = ""; print }')"
	done | sort -k2 -n -r | tee "$BENCH_OUT/ctx-$which.txt"
	stop_kamailio "$which"
done
