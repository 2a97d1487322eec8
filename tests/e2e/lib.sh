# shellcheck shell=bash
# Helpers of the e2e suite (bash, sourced by suite.sh).
#
# State: SC_DIR is the current scenario's work directory; KAM_PID[name] and
# KAM_LOG[name] track the Kamailio instances it started (one work dir each,
# $SC_DIR/<name>/ with kamailio.cfg, kamailio.log, pid file, runtime dir).

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAM_MPATH=${KAM_MPATH:-/usr/lib/x86_64-linux-gnu/kamailio/modules/}
START_TIMEOUT=${E2E_START_TIMEOUT:-30}   # seconds for a Kamailio to listen
declare -A KAM_PID=() KAM_LOG=() CLIENT_PID=()
# HOST_ONLY[SCENARIO]=REASON: run on the host release only (suite.sh skips it,
# saying so, when E2E_HOST_ONLY_SKIP=1, as tests/e2e/releases.sh sets for the
# other releases).
declare -A HOST_ONLY=()
# The ctl (kamcmd) sockets: unix sockets cannot be bound on the test VM's 9p
# share (ENXIO), where the work directory is, so they live here (removed by
# suite.sh at the end).
CTL_DIR=${E2E_CTL_DIR:-${TMPDIR:-/tmp}/kamailio-sctp-e2e-ctl.$$}

# The helpers below are plain bash where they run often: in the test VM's
# software emulation every program started costs about 80 ms.
say() { echo "  $*"; }
# indent: stdin, each line marked as quoted output.
indent() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		printf '    | %s\n' "$line"
	done
}
# now: seconds since the epoch, to the microsecond.
now() { echo "$EPOCHREALTIME"; }
# elapsed T0: seconds since T0 (a `now`), to the tenth.
elapsed() {
	local a=$1 b=$EPOCHREALTIME d
	d=$(((10#${b%.*}${b#*.} - 10#${a%.*}${a#*.} + 50000) / 100000))
	printf '%d.%d' $((d / 10)) $((d % 10))
}

# ms_between T0 T1: milliseconds from T0 to T1, both seconds with six
# decimals (a `now`, or Kamailio's $TV(Sn)).
ms_between() {
	local a=$1 b=$2
	echo $(((10#${b%.*}${b#*.} - 10#${a%.*}${a#*.}) / 1000))
}

# fill_config TEMPLATE OUT KEY=VALUE...: copy TEMPLATE replacing every @KEY@.
fill_config() {
	local tmpl=$1 out=$2 kv key val script=""
	shift 2
	for kv in "$@"; do
		key=${kv%%=*} val=${kv#*=}
		case $val in *[\\\|\&]*) val=$(printf '%s' "$val" | sed 's/[\\|&]/\\&/g') ;; esac
		val=${val//$'\n'/\\n}   # a value may span lines (GNU sed: \n)
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
# MPATH, WORKDIR (= $SC_DIR/NAME) and CTL_SOCK ($CTL_DIR/NAME.sock) added) and
# start Kamailio in the foreground (-DD -E) in its own session, stderr to
# NAME/kamailio.log. SCTP_MODULE must be among the values. With KAM_NETNS
# set, Kamailio runs in that network namespace (ip netns exec).
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
	mkdir -p "$CTL_DIR"
	rm -f "$CTL_DIR/$name.sock"
	fill_config "$E2E_DIR/configs/$tmpl" "$dir/kamailio.cfg" MPATH="$KAM_MPATH" \
		WORKDIR="$dir" CTL_SOCK="$CTL_DIR/$name.sock" "$@" || return 1
	say "kamailio[$name] config $dir/kamailio.cfg (from configs/$tmpl, comments left out):"
	grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$dir/kamailio.cfg" | indent
	local cmd=(kamailio -f "$dir/kamailio.cfg" -DD -E -m 64 -M 8
		-Y "$dir/run" -w "$dir" -P "$dir/kamailio.pid")
	[ -z "${KAM_NETNS:-}" ] || cmd=(ip netns exec "$KAM_NETNS" "${cmd[@]}")
	# KAM_ENV: NAME=VALUE words for Kamailio's environment (e.g. LD_PRELOAD)
	# shellcheck disable=SC2206 # one assignment a word
	[ -z "${KAM_ENV:-}" ] || cmd=(env $KAM_ENV "${cmd[@]}")
	# A restarted instance (same NAME, same scenario) appends to its log.
	[ -n "${KAM_LOG[$name]:-}" ] || : >"$dir/kamailio.log"
	KAM_LOG[$name]=$dir/kamailio.log
	setsid "${cmd[@]}" >>"$dir/kamailio.log" 2>&1 </dev/null &
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
	read -r state 2>/dev/null <"/proc/$1/stat" || return 1
	state=${state##*) }    # after the command name, which may hold spaces
	state=${state%% *}
	[ -n "$state" ] && [ "$state" != Z ]
}

# group_alive PGID: some live process is still in process group PGID.
group_alive() {
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk -v g="$1" '$5 == g && $3 != "Z" { f = 1 } END { exit !f }'
}

# in_ns CMD...: run CMD in network namespace KAM_NETNS if set, else here.
in_ns() {
	if [ -n "${KAM_NETNS:-}" ]; then
		ip netns exec "$KAM_NETNS" "$@"
	else
		"$@"
	fi
}

# listening PROTO PORT: is some socket of PROTO (sctp|udp) bound to PORT?
# shellcheck disable=SC2016 # awk programs, through in_ns
listening() {
	case $1 in
	sctp) in_ns awk -v p="$2" 'NR > 1 && $6 == p { f = 1 } END { exit !f }' /proc/net/sctp/eps 2>/dev/null ;;
	udp) in_ns awk -v p="$(printf ':%04X' "$2")" 'NR > 1 && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
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

# What in a Kamailio log means that something crashed: the core's lines
# about a child killed by a signal and its core dump (a child that ends
# otherwise makes the core stop Kamailio, which `alive` sees), our module's
# lines about a panic it contained (src/kam/guard.rs: the panic hook's
# "panic at FILE:LINE: ..." and the guard's "internal error in ...: the
# operation failed"), and the Rust runtime's own lines for a panic that
# was not contained.
CRASH_PATTERN='exited by a signal|core dumped|core was (not )?generated|segfault'
CRASH_PATTERN+='|panic at [^ ]+:[0-9]+: |internal error in .*: the operation failed'
CRASH_PATTERN+='|panicked at|fatal runtime error'

# check_alive NAME: Kamailio NAME still runs, none of its processes crashed
# and our module contained no panic (CRASH_PATTERN in its log).
check_alive() {
	local name=$1
	if ! alive "${KAM_PID[$name]}"; then
		say "ERROR: kamailio[$name] is no longer running"
		return 1
	fi
	if grep -E -q "$CRASH_PATTERN" "${KAM_LOG[$name]}"; then
		say "ERROR: a process of kamailio[$name] crashed or panicked:"
		grep -E "$CRASH_PATTERN" "${KAM_LOG[$name]}" | head -n 5 | cut -c 1-300 | indent
		return 1
	fi
}

# stop_kamailio NAME: stop Kamailio NAME (TERM to its process group, KILL
# after 10 s) and forget its pid (its log stays listed for show_logs).
stop_kamailio() {
	local name=$1 pid deadline
	pid=${KAM_PID[$name]:-}
	[ -n "$pid" ] || return 0
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
}

# stop_all: stop every Kamailio and test client started, and forget them.
stop_all() {
	local name
	for name in "${!CLIENT_PID[@]}"; do
		kill -TERM "${CLIENT_PID[$name]}" 2>/dev/null
		wait "${CLIENT_PID[$name]}" 2>/dev/null
		unset "CLIENT_PID[$name]"
	done
	for name in "${!KAM_PID[@]}"; do
		stop_kamailio "$name"
	done
}

# The SCTP test client (sctp_client.py, see its --help). Its output goes to
# $SC_DIR/client-LABEL.log; its last line is "RESULT key=value...".
#
# start_client LABEL ARGS...: start it in the background (at most 120 s).
start_client() {
	local label=$1
	shift
	say "run: sctp_client.py --label $label $* >$SC_DIR/client-$label.log &"
	timeout -k 5 120 python3 "$E2E_DIR/sctp_client.py" --label "$label" "$@" \
		>"$SC_DIR/client-$label.log" 2>&1 </dev/null &
	CLIENT_PID[$label]=$!
}

# wait_client LABEL: wait for it to end, show its output; sets CLIENT_RESULT
# (its RESULT line) and returns its exit code.
wait_client() {
	local label=$1 rc=0
	wait "${CLIENT_PID[$label]}" || rc=$?
	unset "CLIENT_PID[$label]"
	say "client[$label] exited with code $rc; its output:"
	indent <"$SC_DIR/client-$label.log"
	last_result "$SC_DIR/client-$label.log"
	return "$rc"
}

# last_result FILE: CLIENT_RESULT = the last "RESULT ..." line of FILE.
last_result() {
	local line
	CLIENT_RESULT=""
	while IFS= read -r line || [ -n "$line" ]; do
		[[ $line != "RESULT "* ]] || CLIENT_RESULT=$line
	done <"$1"
}

# run_client LABEL ARGS...: start_client, then wait_client.
run_client() {
	start_client "$@" && wait_client "$1"
}

# result_field KEY: the value of KEY in CLIENT_RESULT ("?" if absent).
result_field() {
	local w v="" words
	read -r -a words <<<"$CLIENT_RESULT"
	for w in "${words[@]}"; do
		[[ $w != "$1="* ]] || v=${w#*=}
	done
	echo "${v:-?}"
}

# log_has LOG START REASON: LOG holds a line that begins with START (an extended regex) and gives
# REASON. Glibc 2.37 and later (trixie, sid) write an unbuffered stderr line in 128-byte pieces, so
# another process's line can land inside a long one: START and REASON are looked for apart.
log_has() {
	grep -E -q "$2" "$1" && grep -E -q "$3" "$1"
}

# proc_status_sum FIELD_RE PID...: the sum of the /proc/PID/status fields whose
# name matches FIELD_RE (an awk regex), over the PIDs (gone ones count 0).
proc_status_sum() {
	local re=$1 p
	shift
	for p in "$@"; do cat "/proc/$p/status" 2>/dev/null; done |
		awk -v re="^($re):" '$1 ~ re { t += $2 } END { print t + 0 }'
}

# ctx_switches_of PID...: the context switches (voluntary and not) of the PIDs.
ctx_switches_of() {
	proc_status_sum '(non)?voluntary_ctxt_switches' "$@"
}

# pd_shim_present: the preload shim that sets SCTP_PARTIAL_DELIVERY_POINT
# (E2E_PD_SHIM, built by tests/e2e/run.sh) is there; says so when it is not.
pd_shim_present() {
	[ -f "${E2E_PD_SHIM:-}" ] && return 0
	say "ERROR: the preload shim E2E_PD_SHIM='${E2E_PD_SHIM:-}' is missing (tests/e2e/run.sh builds it)"
	return 1
}

# wait_file FILE SECONDS: wait until FILE exists (returns 1 on timeout).
wait_file() {
	local deadline=$((SECONDS + $2))
	while [ ! -e "$1" ]; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# kam_rpc NAME METHOD [ARG...]: call an RPC method of Kamailio NAME through
# its ctl socket (configs with @CTL_SOCK@) with kamcmd; prints the command,
# its exit code and output, leaves the output in RPC_OUT; returns kamcmd's
# exit code (also non-zero when the output is an error line).
kam_rpc() {
	local name=$1 sock=$CTL_DIR/$1.sock rc=0 t0 i
	shift
	for ((i = 0; i < 50; i++)); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	t0=$(now)
	RPC_OUT=$(timeout -k 2 10 kamcmd -s "unix:$sock" "$@" 2>&1) || rc=$?
	# kamcmd may exit 0 after printing an RPC fault.
	if [ "$rc" = 0 ] && [[ $'\n'$RPC_OUT == *$'\n'"error: "* ]]; then
		rc=1
	fi
	say "kamcmd[$name] $* (exit code $rc, $(elapsed "$t0") s):"
	printf '%s\n' "$RPC_OUT" | indent
	return "$rc"
}

# rpc_field FIELD: the value of "FIELD: value" in RPC_OUT (kam_rpc), or "?".
rpc_field() {
	local line v=""
	while IFS= read -r line; do
		line=${line#"${line%%[![:space:]]*}"}
		if [[ $line == "$1:"* ]]; then
			v=${line#*:}
			v=${v#"${v%%[![:space:]]*}"}
			break
		fi
	done <<<"$RPC_OUT"
	echo "${v:-?}"
}

# rpc_names: the sorted field names ("name: value" lines) in RPC_OUT.
rpc_names() {
	printf '%s\n' "$RPC_OUT" | sed -n 's/^[[:space:]]*\([A-Za-z0-9_.]*\):.*/\1/p' | sort
}

# counter_value INSTANCE COUNTER: the sctp counter of a running instance
# (kamcmd cnt.get), or "?" when it cannot be read as a number. kam_rpc's
# account of the call goes to stderr (the log), not into the value.
counter_value() {
	local v="?"
	if kam_rpc "$1" cnt.get sctp "$2" >&2; then
		v=${RPC_OUT##*$'\n'}
		v=${v//[[:space:]]/}
	fi
	[[ $v =~ ^[0-9]+$ ]] || v="?"
	echo "$v"
}

# show_logs: the last 40 lines of each Kamailio log of the scenario.
show_logs() {
	local name
	for name in "${!KAM_LOG[@]}"; do
		say "last 40 lines of kamailio[$name] log ${KAM_LOG[$name]}:"
		tail -n 40 "${KAM_LOG[$name]}" | indent
	done
}

# sipp_counts LABEL LIMIT SIPP-ARGS...: run sipp (in $SC_DIR/sipp-LABEL/)
# with statistics, screen and error traces added, at most LIMIT seconds.
# Sets SIPP_OK and SIPP_FAILED (successful / failed calls, "?" when
# unknown), SIPP_RC (exit code) and SIPP_DIR; prints the command and counts.
sipp_counts() {
	local label=$1 limit=$2 t0 stats
	SIPP_DIR=$SC_DIR/sipp-$1 SIPP_RC=0
	shift 2
	mkdir -p "$SIPP_DIR"
	local cmd=(sipp "$@" -nostdin -timeout "${limit}s" -timeout_error
		-trace_stat -stf "$SIPP_DIR/stat.csv" -trace_screen -screen_file "$SIPP_DIR/screen.log"
		-trace_err -error_file "$SIPP_DIR/errors.log")
	[ -z "${SIPP_NETNS:-}" ] || cmd=(ip netns exec "$SIPP_NETNS" "${cmd[@]}")
	# a command sipp runs under (the bench's "nice -n N"), split on spaces
	if [ -n "${SIPP_WRAP:-}" ]; then
		local wrap
		read -ra wrap <<<"$SIPP_WRAP"
		cmd=("${wrap[@]}" "${cmd[@]}")
	fi
	say "run: ${cmd[*]}"
	t0=$(now)
	(cd "$SIPP_DIR" && timeout -k 5 $((limit + 30)) "${cmd[@]}" >"$SIPP_DIR/stdout.log" 2>&1) || SIPP_RC=$?
	# Cumulative SuccessfulCall/FailedCall from the last row of the stat file.
	stats=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		{ s = $(c["SuccessfulCall(C)"]); f = $(c["FailedCall(C)"]) }
		END { if (s != "") print s, f }' "$SIPP_DIR/stat.csv" 2>/dev/null)
	read -r SIPP_OK SIPP_FAILED <<<"${stats:-? ?}"
	say "sipp[$label]: $SIPP_OK successful, $SIPP_FAILED failed calls; exit code $SIPP_RC; $(elapsed "$t0") s"
}

# sipp_explain: the first sipp errors and the end of its output.
sipp_explain() {
	if [ -s "$SIPP_DIR/errors.log" ]; then
		# sipp runs its entries together: split them at each time stamp.
		say "first entries of sipp errors $SIPP_DIR/errors.log:"
		sed -E 's/([0-9]{4}-[0-9]{2}-[0-9]{2}\t)/\n\1/g' "$SIPP_DIR/errors.log" |
			grep -v '^[[:space:]]*$' | head -n 10 | cut -c 1-300 | indent
	fi
	say "last lines of sipp output $SIPP_DIR/stdout.log:"
	tail -n 15 "$SIPP_DIR/stdout.log" | indent
}

# run_sipp LABEL EXPECTED SIPP-ARGS...: run sipp (sipp_counts), then check
# that it exited 0 and reported EXPECTED successful and 0 failed calls.
run_sipp() {
	local label=$1 expected=$2
	shift 2
	# Generous bounds so that sipp can never hang the suite.
	sipp_counts "$label" $((expected / 50 + 60)) "$@" -recv_timeout 20s
	say "sipp[$label]: expected $expected successful, 0 failed calls"
	if [ "$SIPP_RC" = 0 ] && [ "$SIPP_OK" = "$expected" ] && [ "$SIPP_FAILED" = 0 ]; then
		return 0
	fi
	say "ERROR: sipp[$label] did not complete every call"
	sipp_explain
	return 1
}
