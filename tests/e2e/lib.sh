# shellcheck shell=bash
# Helpers of the e2e suite (bash, sourced by suite.sh).
#
# State: SC_DIR is the current scenario's work directory; KAM_PID[name] and
# KAM_LOG[name] track the Kamailio instances it started (one work dir each,
# $SC_DIR/<name>/ with kamailio.cfg, kamailio.log, pid file, runtime dir).

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAM_MPATH=${KAM_MPATH:-/usr/lib/x86_64-linux-gnu/kamailio/modules/}
START_TIMEOUT=${E2E_START_TIMEOUT:-30}   # seconds for a Kamailio to listen
declare -A KAM_PID=() KAM_LOG=()

say() { echo "  $*"; }
indent() { sed 's/^/    | /'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# fill_config TEMPLATE OUT KEY=VALUE...: copy TEMPLATE replacing every @KEY@.
fill_config() {
	local tmpl=$1 out=$2 kv key val script=""
	shift 2
	for kv in "$@"; do
		key=${kv%%=*} val=${kv#*=}
		val=$(printf '%s' "$val" | sed 's/[\\|&]/\\&/g')
		script+="s|@${key}@|${val}|g;"
	done
	sed "$script" "$tmpl" >"$out"
	if grep -q '@[A-Z_]*@' "$out"; then
		say "ERROR: unfilled placeholders in $out:"
		grep -n '@[A-Z_]*@' "$out" | indent
		return 1
	fi
}

# start_kamailio NAME TEMPLATE KEY=VALUE...: fill configs/TEMPLATE (with
# MPATH added) and start Kamailio in the foreground (-DD -E) in its own
# session, stderr to NAME/kamailio.log. SCTP_MODULE must be among the values.
start_kamailio() {
	local name=$1 tmpl=$2 dir=$SC_DIR/$1 kv module=""
	shift 2
	for kv in "$@"; do
		case $kv in SCTP_MODULE=*) module=${kv#SCTP_MODULE=} ;; esac
	done
	if [ ! -f "$module" ]; then
		say "ERROR: SCTP module for kamailio[$name] not found: '$module'"
		return 1
	fi
	mkdir -p "$dir/run"
	fill_config "$E2E_DIR/configs/$tmpl" "$dir/kamailio.cfg" MPATH="$KAM_MPATH" "$@" || return 1
	say "kamailio[$name] config $dir/kamailio.cfg (from configs/$tmpl, comments left out):"
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$dir/kamailio.cfg" | indent
	local cmd=(kamailio -f "$dir/kamailio.cfg" -DD -E -m 64 -M 8
		-Y "$dir/run" -w "$dir" -P "$dir/kamailio.pid")
	KAM_LOG[$name]=$dir/kamailio.log
	setsid "${cmd[@]}" >"$dir/kamailio.log" 2>&1 </dev/null &
	KAM_PID[$name]=$!
	say "kamailio[$name] started (pid ${KAM_PID[$name]}): ${cmd[*]} 2>$dir/kamailio.log"
}

# begin_scenario NAME: fresh work directory $SC_DIR, no instances yet.
begin_scenario() {
	SC_DIR=$E2E_WORK/$1
	rm -rf "$SC_DIR"
	mkdir -p "$SC_DIR"
	KAM_LOG=()
}

# alive PID: the process runs (exists and is not a zombie waiting for us).
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# group_alive PGID: some live process is still in process group PGID.
group_alive() {
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk -v g="$1" '$5 == g && $3 != "Z" { f = 1 } END { exit !f }'
}

# listening PROTO PORT: is some socket of PROTO (sctp|udp) bound to PORT?
listening() {
	case $1 in
	sctp) awk -v p="$2" 'NR > 1 && $6 == p { f = 1 } END { exit !f }' /proc/net/sctp/eps 2>/dev/null ;;
	udp) awk -v p="$(printf ':%04X' "$2")" 'NR > 1 && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
		/proc/net/udp /proc/net/udp6 2>/dev/null ;;
	*) return 1 ;;
	esac
}

# wait_ready NAME PROTO:PORT...: wait until Kamailio NAME listens on all of
# them (and is still alive), at most START_TIMEOUT seconds.
wait_ready() {
	local name=$1 t0 deadline ep missing
	shift
	t0=$(now)
	deadline=$((SECONDS + START_TIMEOUT))
	while :; do
		if ! alive "${KAM_PID[$name]}"; then
			say "ERROR: kamailio[$name] exited during startup"
			return 1
		fi
		missing=""
		for ep in "$@"; do
			listening "${ep%%:*}" "${ep#*:}" || missing+=" $ep"
		done
		[ -z "$missing" ] && break
		if [ $SECONDS -ge $deadline ]; then
			say "ERROR: kamailio[$name] not listening on$missing after ${START_TIMEOUT} s"
			return 1
		fi
		sleep 0.2
	done
	# The sockets exist once bound; give the worker processes a moment.
	sleep 0.5
	say "kamailio[$name] listening on $* (after $(elapsed "$t0") s)"
}

# check_alive NAME: Kamailio NAME still runs and none of its processes crashed.
check_alive() {
	local name=$1
	if ! alive "${KAM_PID[$name]}"; then
		say "ERROR: kamailio[$name] is no longer running"
		return 1
	fi
	if grep -E -q 'exited by a signal|core dumped|segfault' "${KAM_LOG[$name]}"; then
		say "ERROR: a process of kamailio[$name] crashed:"
		grep -E 'exited by a signal|core dumped|segfault' "${KAM_LOG[$name]}" | head -n 5 | indent
		return 1
	fi
}

# stop_all: stop every Kamailio started (TERM to its process group, KILL
# after 10 s), and forget them.
stop_all() {
	local name pid deadline
	for name in "${!KAM_PID[@]}"; do
		pid=${KAM_PID[$name]}
		kill -TERM -- "-$pid" 2>/dev/null
		deadline=$((SECONDS + 10))
		while group_alive "$pid" && [ $SECONDS -lt $deadline ]; do
			sleep 0.2
		done
		if group_alive "$pid"; then
			say "kamailio[$name] ignored SIGTERM for 10 s, killing it"
			kill -KILL -- "-$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
		unset "KAM_PID[$name]"
	done
}

# show_logs: the last 40 lines of each Kamailio log of the scenario.
show_logs() {
	local name
	for name in "${!KAM_LOG[@]}"; do
		say "last 40 lines of kamailio[$name] log ${KAM_LOG[$name]}:"
		tail -n 40 "${KAM_LOG[$name]}" | indent
	done
}

# run_sipp LABEL EXPECTED SIPP-ARGS...: run sipp (in $SC_DIR/sipp-LABEL/)
# with statistics, screen and error traces added, then check that it exited
# 0 and reported EXPECTED successful and 0 failed calls.
run_sipp() {
	local label=$1 expected=$2 dir=$SC_DIR/sipp-$1 t0 rc=0 limit stats ok failed
	shift 2
	mkdir -p "$dir"
	# Generous bounds so that sipp can never hang the suite.
	limit=$((expected / 50 + 60))
	local cmd=(sipp "$@" -nostdin -recv_timeout 20s -timeout "${limit}s" -timeout_error
		-trace_stat -stf "$dir/stat.csv" -trace_screen -screen_file "$dir/screen.log"
		-trace_err -error_file "$dir/errors.log")
	say "run: ${cmd[*]}"
	t0=$(now)
	(cd "$dir" && timeout -k 5 $((limit + 30)) "${cmd[@]}" >"$dir/stdout.log" 2>&1) || rc=$?
	# Cumulative SuccessfulCall/FailedCall from the last row of the stat file.
	stats=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		{ s = $(c["SuccessfulCall(C)"]); f = $(c["FailedCall(C)"]) }
		END { if (s != "") print s, f }' "$dir/stat.csv" 2>/dev/null)
	read -r ok failed <<<"${stats:-? ?}"
	say "sipp[$label]: $ok successful, $failed failed calls (expected $expected successful, 0 failed); exit code $rc; $(elapsed "$t0") s"
	if [ "$rc" = 0 ] && [ "$ok" = "$expected" ] && [ "$failed" = 0 ]; then
		return 0
	fi
	say "ERROR: sipp[$label] did not complete every call"
	if [ -s "$dir/errors.log" ]; then
		# sipp runs its entries together: split them at each time stamp.
		say "first entries of sipp errors $dir/errors.log:"
		sed -E 's/([0-9]{4}-[0-9]{2}-[0-9]{2}\t)/\n\1/g' "$dir/errors.log" |
			grep -v '^[[:space:]]*$' | head -n 10 | cut -c 1-300 | indent
	fi
	say "last lines of sipp output $dir/stdout.log:"
	tail -n 15 "$dir/stdout.log" | indent
	return 1
}
