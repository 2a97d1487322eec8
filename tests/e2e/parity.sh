# shellcheck shell=bash disable=SC2034
# The parity scenarios (bash, sourced by scenarios.sh): the features the C
# module has besides moving messages (RPC commands, counters, runtime
# configuration, association tracking and reuse, sctp_max_assocs, send
# retries). Each runs against our module (-ours) and, as the control that
# must pass, against the C module (-c); options-parity runs both and
# compares them. Kamailio is driven with kamcmd over the ctl module
# (configs/rpc-*.cfg), SCTP peers are sipp or sctp_client.py.

SCENARIOS+=" options-parity runtime-cfg-ours runtime-cfg-c"
SCENARIOS+=" reuse-on-ours reuse-off-ours reuse-on-c reuse-off-c"
SCENARIOS+=" max-assocs-ours max-assocs-c send-retry-ours send-retry-c"
SCENARIOS+=" tracking-ours tracking-c max-assocs-out-ours"
HOST_ONLY[send-retry-c]="the control of send-retry-ours (that the C module re-sends as it does)"
HOST_ONLY[tracking-c]="the control of tracking-ours (that the C module counts as it does); tracking-ours runs on every release"

# modparam lines for @SCTP_PARAMS@: sctp_params NAME=VALUE...
sctp_params() {
	local kv
	for kv in "$@"; do
		printf 'modparam("sctp", "sctp_%s", %s)\n' "${kv%%=*}" "${kv#*=}"
	done
}

# start_rpc_uas NAME MODULE PORT [NAME=VALUE...]: Kamailio NAME with MODULE
# and the given sctp modparams, listening on sctp:127.0.0.1:PORT, ready.
start_rpc_uas() {
	local name=$1 module=$2 port=$3
	shift 3
	start_kamailio "$name" rpc-uas.cfg SCTP_MODULE="$module" DEBUG="${E2E_DEBUG:-2}" \
		LISTEN="sctp:127.0.0.1:$port" SCTP_PARAMS="$(sctp_params "$@")" &&
		wait_ready "$name" "sctp:$port"
}

# expect WHAT GOT WANT: say it, fail (return 1) when GOT != WANT.
expect() {
	if [ "$2" = "$3" ]; then
		say "ok: $1 = $2"
	else
		say "ERROR: $1 = $2, expected $3"
		return 1
	fi
}

# expect_counter_at_least INSTANCE COUNTER MIN: the sctp counter of a running
# instance is a number >= MIN.
expect_counter_at_least() {
	local v
	v=$(counter_value "$1" "$2")
	if [[ $v =~ ^[0-9]+$ ]] && [ "$v" -ge "$3" ]; then
		say "ok: $2 = $v"
	else
		say "ERROR: $2 = $v, expected >= $3"
		return 1
	fi
}

# ---------------------------------------------------------------------------
# options-parity: for one config (a few parameters set, the rest default),
# both modules must give the same sctp.options (the values Kamailio holds)
# and sctp.options first (the values read back from the socket), the same
# counter names (cnt.grp_get_all sctp) and the same sctp.info fields, apart
# from what this module adds (README): those lines must be in ours, and are
# left out of the comparison.

PARITY_PARAMS=(autoclose=60 send_ttl=10000 hbinterval=7000 srto_min=400)
# Names only our module has, as the RPC output spells them (one regex per line
# start: parameter names in sctp.options, counter names).
OUR_ADDITIONS=(sctp_send_wait sctp_pathpfthld sctp_plpmtud_interval sctp_stall_timeout sctp_stall_abort
	sctp_cut_timeout sctp_udp_port sctp_encap_port sendq_wait cut_reassembled cut_dropped cut_aborted cut_pending assoc_stalled)

sc_options_parity() {
	local side module out=$SC_DIR/parity bad=0 what
	mkdir -p "$out"
	for side in ours c; do
		if [ $side = ours ]; then module=$OUR_MODULE; else module=$C_MODULE; fi
		say "--- the $side module ($module)"
		start_rpc_uas "$side" "$module" 5060 "${PARITY_PARAMS[@]}" || return 1
		kam_rpc "$side" sctp.options
		printf '%s\n' "$RPC_OUT" >"$out/options.$side"
		kam_rpc "$side" sctp.options first
		printf '%s\n' "$RPC_OUT" >"$out/options-first.$side"
		kam_rpc "$side" cnt.grp_get_all sctp
		rpc_names >"$out/counters.$side"
		kam_rpc "$side" sctp.info
		rpc_names >"$out/info-fields.$side"
		check_alive "$side" || return 1
		stop_kamailio "$side"
	done
	local name f extras=0
	for name in "${OUR_ADDITIONS[@]}"; do
		for f in "$out"/options.ours "$out"/options-first.ours "$out"/counters.ours; do
			case ${f##*/} in
			options*) [[ $name == sctp_* ]] || continue ;;
			*) [[ $name == sctp_* ]] && continue ;;
			esac
			if grep -q "^[[:space:]]*$name\b" "$f"; then
				extras=$((extras + 1))
				grep -v "^[[:space:]]*$name\b" "$f" >"$f.tmp" && mv "$f.tmp" "$f"
			else
				say "ERROR: our addition $name is missing from $(basename "$f")"
				bad=1
			fi
		done
	done
	say "our additions found and left out of the comparison: $extras"
	for what in options options-first counters info-fields; do
		if [ ! -s "$out/$what.c" ]; then
			say "ERROR: the C module gave nothing for $what"
			bad=1
		elif diff -u "$out/$what.c" "$out/$what.ours" >"$out/$what.diff"; then
			say "ok: $what identical ($(wc -l <"$out/$what.c") lines)"
		else
			say "ERROR: $what differ (diff -u C ours):"
			indent <"$out/$what.diff"
			say "C module:"
			indent <"$out/$what.c"
			say "our module:"
			indent <"$out/$what.ours"
			bad=1
		fi
	done
	[ $bad = 0 ]
}

# ---------------------------------------------------------------------------
# runtime-cfg: cfg.set_now_int changes autoclose and hbinterval on the
# sockets; the forbidden assoc_tracking / assoc_reuse combinations are
# refused and leave the old value.

# cfg_set NAME VAR VALUE ok|refused: cfg.set_now_int sctp VAR VALUE must
# succeed / be refused (kamcmd reports an error), and sctp.options then
# shows sctp_VAR = VALUE / the old value. (cfg.get cannot read these
# variables: the config framework refuses it for variables with a fixup,
# "Variable exists, but it is not readable via RPC interface".)
cfg_set() {
	local name=$1 var=$2 val=$3 want=$4 old new rc=0
	if ! kam_rpc "$name" sctp.options >/dev/null; then
		say "ERROR: sctp.options failed: $RPC_OUT"
		return 1
	fi
	old=$(rpc_field "sctp_$var")
	kam_rpc "$name" cfg.set_now_int sctp "$var" "$val" || rc=$?
	kam_rpc "$name" sctp.options >/dev/null
	new=$(rpc_field "sctp_$var")
	say "sctp.options: sctp_$var was $old, is now $new"
	if [ "$want" = ok ]; then
		[ $rc = 0 ] || { say "ERROR: setting sctp $var to $val was refused"; return 1; }
		expect "sctp_$var after the change" "$new" "$val"
	else
		[ $rc != 0 ] || { say "ERROR: setting sctp $var to $val was accepted, it must be refused"; return 1; }
		say "ok: refused"
		expect "sctp_$var after the refused change" "$new" "$old"
	fi
}

runtime_cfg() {
	local module=$1 bad=0 ac hb deadline
	start_rpc_uas k "$module" 5060 || return 1
	kam_rpc k sctp.options first
	cfg_set k autoclose 120 ok || bad=1
	cfg_set k hbinterval 5000 ok || bad=1
	# The sockets are changed by a child process once it sees the new
	# config: give it up to 5 s.
	deadline=$((SECONDS + 5))
	while :; do
		kam_rpc k sctp.options first >/dev/null || true
		ac=$(rpc_field sctp_autoclose) hb=$(rpc_field sctp_hbinterval)
		[ "$ac" = 120 ] && [ "$hb" = 5000 ] && break
		[ $SECONDS -lt $deadline ] || break
		sleep 0.2
	done
	kam_rpc k sctp.options first
	expect "sctp.options first: sctp_autoclose (the socket's)" "$(rpc_field sctp_autoclose)" 120 || bad=1
	expect "sctp.options first: sctp_hbinterval (the socket's)" "$(rpc_field sctp_hbinterval)" 5000 || bad=1
	kam_rpc k sctp.options
	expect "sctp.options: sctp_autoclose" "$(rpc_field sctp_autoclose)" 120 || bad=1
	expect "sctp.options: sctp_hbinterval" "$(rpc_field sctp_hbinterval)" 5000 || bad=1
	say "tracking off while reuse is on: refused"
	cfg_set k assoc_tracking 0 refused || bad=1
	say "reuse off, then tracking off: both allowed"
	cfg_set k assoc_reuse 0 ok || bad=1
	cfg_set k assoc_tracking 0 ok || bad=1
	say "reuse on while tracking is off: refused"
	cfg_set k assoc_reuse 1 refused || bad=1
	check_alive k || bad=1
	[ $bad = 0 ]
}
sc_runtime_cfg_ours() { runtime_cfg "$OUR_MODULE"; }
sc_runtime_cfg_c() { runtime_cfg "$C_MODULE"; }

# ---------------------------------------------------------------------------
# reuse-on / reuse-off: 50 OPTIONS from sipp whose Via names port 5999
# (nobody listens there, no rport): with sctp_assoc_reuse 1 the replies go
# back on the request's association, all 50 answered; with 0 they go to the
# Via (port 5999) and none arrives. A control client whose Via is its own
# port is answered in both cases.

REUSE_CALLS=50

reuse_check() {
	local module=$1 reuse=$2 ok bad=0
	start_rpc_uas k "$module" 5060 assoc_reuse="$reuse" || return 1
	kam_rpc k sctp.options || true
	run_client control --requests 3 --timeout 5 127.0.0.1:5060
	expect "control client (Via = its own port): 200 replies" "$(result_field ok)" 3 || bad=1
	sipp_counts via-5999 40 -sf "$E2E_DIR/sipp/options-via-5999.xml" -t s1 -i 127.0.0.1 -p "$SIPP_PORT" \
		-m "$REUSE_CALLS" -r 50 -l "$REUSE_CALLS" 127.0.0.1:5060
	if [ "$reuse" = 1 ]; then
		ok=$REUSE_CALLS
		say "sctp_assoc_reuse 1: every OPTIONS must be answered on its association"
	else
		ok=0
		say "sctp_assoc_reuse 0: the replies go to port 5999, none may reach sipp"
	fi
	expect "sipp: answered OPTIONS" "$SIPP_OK" "$ok" || bad=1
	expect "sipp: unanswered OPTIONS" "$SIPP_FAILED" $((REUSE_CALLS - ok)) || bad=1
	[ $bad = 0 ] || sipp_explain
	check_alive k || bad=1
	[ $bad = 0 ]
}
sc_reuse_on_ours() { reuse_check "$OUR_MODULE" 1; }
sc_reuse_off_ours() { reuse_check "$OUR_MODULE" 0; }
sc_reuse_on_c() { reuse_check "$C_MODULE" 1; }
sc_reuse_off_c() { reuse_check "$C_MODULE" 0; }

# ---------------------------------------------------------------------------
# max-assocs: with sctp_max_assocs 1, peer 1 holds its association and
# keeps sending; peer 2's association is aborted (local_reject counted),
# peer 1 is not disturbed.

max_assocs() {
	local module=$1 bad=0 v
	start_rpc_uas k "$module" 5060 max_assocs=1 || return 1
	start_client peer1 --requests 10 --interval 0.5 --timeout 3 --ready "$SC_DIR/peer1.ready" 127.0.0.1:5060
	if ! wait_file "$SC_DIR/peer1.ready" 30; then
		say "ERROR: peer 1 did not finish its first request within 30 s"
		wait_client peer1
		return 1
	fi
	say "peer 1's first request: $(cat "$SC_DIR/peer1.ready"); peer 2 connects now"
	kam_rpc k sctp.info || true
	run_client peer2 --requests 1 --timeout 3 --hold 2 127.0.0.1:5060
	v=$(result_field comm_lost)
	if [ "$v" != "?" ] && [ "$v" -ge 1 ]; then
		say "ok: peer 2's association was aborted ($v COMM_LOST/CANT_STR_ASSOC notifications; $(result_field ok) replies)"
	else
		say "ERROR: peer 2's association was not aborted (comm_lost=$v)"
		bad=1
	fi
	wait_client peer1
	expect "peer 1: 200 replies" "$(result_field ok)" 10 || bad=1
	expect "peer 1: lost associations" "$(result_field comm_lost)" 0 || bad=1
	kam_rpc k cnt.grp_get_all sctp || true
	expect_counter_at_least k local_reject 1 || bad=1
	check_alive k || bad=1
	[ $bad = 0 ]
}
sc_max_assocs_ours() { max_assocs "$OUR_MODULE"; }
sc_max_assocs_c() { max_assocs "$C_MODULE"; }

# ---------------------------------------------------------------------------
# send-retry: sipp -> UDP -> Kamailio A (module under test, sctp_send_retries
# 1) -> SCTP -> Kamailio B (the C module). B is restarted between request 1
# and request 2 while A keeps its association, now stale; request 2 (sipp
# never retransmits, -nr) must still be answered, A counting send_force_retry.
#
# A stale association needs B to vanish without A hearing of it, and B's
# kernel always shuts an association down (SHUTDOWN, or ABORT) when B exits.
# So everything runs in a network namespace of its own whose loopback is
# taken down while B stops: B's SHUTDOWN is lost, B's kernel gives the
# association up (B has short RTOs and 2 retransmissions), and A's side stays
# ESTABLISHED. With loopback up again and B restarted, A's first DATA on the
# stale association gets an ABORT from B's kernel (out of the blue), the
# message comes back to A as SCTP_SEND_FAILED with error 0, and the module
# must re-send it on a new association.

RETRY_B_PARAMS=(srto_initial=200 srto_min=100 srto_max=200 asocmaxrxt=2 pathmaxrxt=2)

# assocs_between PORT1 PORT2: associations (lines of /proc/net/sctp/assocs)
# with local port PORT1 and remote port PORT2.
# shellcheck disable=SC2016 # an awk program, through in_ns
assocs_between() {
	in_ns awk -v a="$1" -v b="$2" 'NR > 1 && $12 == a && $13 == b' /proc/net/sctp/assocs
}

send_retry_steps() {
	local module=$1 bad=0 v i t0 b_params
	b_params=$(sctp_params "${RETRY_B_PARAMS[@]}")
	start_kamailio B rpc-uas.cfg SCTP_MODULE="$C_MODULE" DEBUG=2 LISTEN=sctp:127.0.0.1:5080 \
		SCTP_PARAMS="$b_params" &&
		start_kamailio A rpc-proxy.cfg SCTP_MODULE="$module" DEBUG=3 \
			LISTEN_UDP=udp:127.0.0.1:5060 LISTEN_SCTP=sctp:127.0.0.1:5070 \
			NEXT_HOST=127.0.0.1 NEXT_PORT=5080 \
			SCTP_PARAMS="$(sctp_params send_retries=1 hbinterval=600000)" &&
		wait_ready B sctp:5080 && wait_ready A udp:5060 sctp:5070 || return 1
	sipp_counts request1 30 -sf "$E2E_DIR/sipp/options.xml" -t u1 -nr -i 127.0.0.1 -p "$SIPP_PORT" -m 1 127.0.0.1:5060
	expect "request 1 answered" "$SIPP_OK" 1 || { sipp_explain; return 1; }
	check_association 5070 5080 || return 1
	say "loopback of $KAM_NETNS down, then kamailio[B] stopped (its SHUTDOWN is lost)"
	in_ns ip link set lo down || return 1
	t0=$(now)
	stop_kamailio B
	for i in {1..100}; do
		[ -z "$(assocs_between 5080 5070)" ] && break
		sleep 0.1
	done
	say "/proc/net/sctp/assocs $(elapsed "$t0") s after stopping B:"
	in_ns cat /proc/net/sctp/assocs | indent
	in_ns ip link set lo up || return 1
	if [ -n "$(assocs_between 5080 5070)" ]; then
		say "ERROR: B's side of the association is still there after 10 s: cannot make it stale"
		return 1
	fi
	if [ -z "$(assocs_between 5070 5080)" ]; then
		say "ERROR: A's side of the association is gone too: A noticed, nothing is stale"
		return 1
	fi
	say "loopback up; B's side of the association is gone, A's is stale (still established)"
	start_kamailio B rpc-uas.cfg SCTP_MODULE="$C_MODULE" DEBUG=2 LISTEN=sctp:127.0.0.1:5080 \
		SCTP_PARAMS="$b_params" && wait_ready B sctp:5080 || return 1
	local mark
	mark=$(wc -l <"${KAM_LOG[A]}")
	sipp_counts request2 30 -sf "$E2E_DIR/sipp/options.xml" -t u1 -nr -i 127.0.0.1 -p "$SIPP_PORT" -m 1 127.0.0.1:5060
	expect "request 2 answered (no retransmission by sipp)" "$SIPP_OK" 1 || { sipp_explain; bad=1; }
	check_association 5070 5080 || bad=1
	say "kamailio[A] log lines about notifications, sends and retries since request 2:"
	tail -n +"$((mark + 1))" "${KAM_LOG[A]}" |
		grep -E -i 'notification|SEND_FAILED|COMM_LOST|COMM_UP|RETRY|retr|sendmsg|EPIPE|ECONNRESET|error' |
		cut -c 1-250 | head -n 40 | indent
	kam_rpc A cnt.grp_get_all sctp || true
	expect_counter_at_least A send_force_retry 1 || bad=1
	check_alive A || bad=1
	[ $bad = 0 ]
}

send_retry() {
	local module=$1 rc=0
	local KAM_NETNS=kse2e-retry-$$ SIPP_NETNS=kse2e-retry-$$
	ip netns del "$KAM_NETNS" 2>/dev/null
	if ! ip netns add "$KAM_NETNS" || ! ip -n "$KAM_NETNS" link set lo up; then
		say "ERROR: cannot create the network namespace $KAM_NETNS"
		return 1
	fi
	say "network namespace $KAM_NETNS (a loopback of its own) for A, B and sipp"
	send_retry_steps "$module" || rc=1
	stop_all
	ip netns del "$KAM_NETNS"
	return $rc
}
sc_send_retry_ours() { send_retry "$OUR_MODULE"; }
sc_send_retry_c() { send_retry "$C_MODULE"; }

# ---------------------------------------------------------------------------
# tracking: three clients hold an association each: opened and tracked
# counts (sctp.info, current_*_connections counters) are 3; once they close
# (SHUTDOWN) they are 0 again; and with sctp_autoclose 2 they fall to 0 by
# themselves while the clients stay open and idle.

# assoc_counts NAME: sets OPENED, TRACKED (sctp.info) and CNT_OPENED,
# CNT_TRACKED (counters current_opened_connections and
# current_tracked_connections) of Kamailio NAME.
assoc_counts() {
	OPENED="?" TRACKED="?" CNT_OPENED="?" CNT_TRACKED="?"
	if kam_rpc "$1" sctp.info; then
		OPENED=$(rpc_field opened_connections) TRACKED=$(rpc_field tracked_connections)
	fi
	if kam_rpc "$1" cnt.grp_get_all sctp; then
		CNT_OPENED=$(rpc_field current_opened_connections)
		CNT_TRACKED=$(rpc_field current_tracked_connections)
	fi
	say "associations: sctp.info opened=$OPENED tracked=$TRACKED;" \
		"counters current_opened_connections=$CNT_OPENED current_tracked_connections=$CNT_TRACKED"
}

# wait_counts_of NAME WANT SECONDS: until "OPENED TRACKED" (sctp.info) are
# WANT, or with four numbers in WANT, "OPENED TRACKED CNT_OPENED
# CNT_TRACKED" (the counters too); 1 on timeout.
wait_counts_of() {
	local deadline=$((SECONDS + $3)) got what="sctp.info" four=0
	[ "${2//[^ ]/}" = "   " ] && four=1 what="sctp.info, counters"
	while :; do
		assoc_counts "$1" >/dev/null
		got="$OPENED $TRACKED"
		[ $four = 0 ] || got+=" $CNT_OPENED $CNT_TRACKED"
		[ "$got" = "$2" ] && break
		[ $SECONDS -lt $deadline ] || break
		sleep 0.3
	done
	assoc_counts "$1"
	expect "opened and tracked associations ($what)" "$got" "$2"
}

# wait_counts NAME N SECONDS: until all four counts are N (1 on timeout).
wait_counts() { wait_counts_of "$1" "$2 $2 $2 $2" "$3"; }

# start_holders N HOLD: N clients, each one request then holding its
# association HOLD s; they all send at once. Returns when all got a reply.
start_holders() {
	local i go=$SC_DIR/go.$RANDOM
	for ((i = 1; i <= $1; i++)); do
		rm -f "$SC_DIR/holder$i.ready"
		start_client "holder$i" --go "$go" --requests 1 --timeout 5 --hold "$2" \
			--ready "$SC_DIR/holder$i.ready" 127.0.0.1:5060
	done
	# Wait until every client has its socket, then let them all send.
	for ((i = 1; i <= $1; i++)); do
		local deadline=$((SECONDS + 30))
		until grep -q 'waiting for' "$SC_DIR/client-holder$i.log" 2>/dev/null; do
			[ $SECONDS -lt $deadline ] || { say "ERROR: client holder$i did not start"; return 1; }
			sleep 0.1
		done
	done
	touch "$go"
	for ((i = 1; i <= $1; i++)); do
		if ! wait_file "$SC_DIR/holder$i.ready" 15 || [ "$(cat "$SC_DIR/holder$i.ready")" != 200 ]; then
			say "ERROR: client holder$i got no 200"
			return 1
		fi
	done
	say "$1 clients got their 200 and hold their associations"
}

# stop_holders N: SIGTERM to the clients (they close their sockets).
stop_holders() {
	local i rc=0
	for ((i = 1; i <= $1; i++)); do
		[ -n "${CLIENT_PID[holder$i]:-}" ] && kill -TERM "${CLIENT_PID[holder$i]}" 2>/dev/null
	done
	for ((i = 1; i <= $1; i++)); do
		wait_client "holder$i" >/dev/null || rc=1
		say "client holder$i: $CLIENT_RESULT"
	done
	return $rc
}

# toggle_tracking NAME: tracking off and on again twice, 1.5 s apart
# (reuse off first, on last, as the rules require).
toggle_tracking() {
	local round rc=0
	for round in 1 2; do
		sleep 1.5
		kam_rpc "$1" cfg.set_now_int sctp assoc_reuse 0 >/dev/null &&
			kam_rpc "$1" cfg.set_now_int sctp assoc_tracking 0 >/dev/null || rc=1
		sleep 1.5
		kam_rpc "$1" cfg.set_now_int sctp assoc_tracking 1 >/dev/null &&
			kam_rpc "$1" cfg.set_now_int sctp assoc_reuse 1 >/dev/null || rc=1
	done
	return $rc
}

TOGGLE_CALLS=1600   # 8 s at E2E_RATE 200: two rounds of toggling inside

# With FLUSH_CHECK 1, tracking is also turned off and on again while the
# clients hold their associations, then twice more while sipp makes calls
# through it (every call must succeed, and the counts come out right). Not
# for the C module: after such a flush it
# re-creates entries for associations that then end (seen: tracked 3 after the
# clients closed, opened 0), so its count never returns to 0.
tracking() {
	local module=$1 flush_check=$2 bad=0 i
	say "--- phase 1: clients open, then close"
	start_rpc_uas k "$module" 5060 || return 1
	wait_counts k 0 0 || bad=1
	start_holders 3 60 || return 1
	wait_counts k 3 3 || bad=1
	if [ "$flush_check" = 1 ]; then
		say "--- tracking off, then on again, at runtime: the table is flushed"
		kam_rpc k cfg.set_now_int sctp assoc_reuse 0 && kam_rpc k cfg.set_now_int sctp assoc_tracking 0 || bad=1
		assoc_counts k >/dev/null
		expect "opened, tracked, tracked counter with tracking off" "$OPENED $TRACKED $CNT_TRACKED" "3 -1 -1" || bad=1
		kam_rpc k cfg.set_now_int sctp assoc_tracking 1 && kam_rpc k cfg.set_now_int sctp assoc_reuse 1 || bad=1
		assoc_counts k >/dev/null
		expect "opened, tracked with tracking back on (flushed; the idle clients send nothing)" \
			"$OPENED $TRACKED" "3 0" || bad=1
		say "--- tracking off and on twice while sipp makes $TOGGLE_CALLS calls"
		toggle_tracking k &
		local toggler=$!
		run_sipp toggled "$TOGGLE_CALLS" -sn uac -m "$TOGGLE_CALLS" -r "$RATE" -l 200 -p "$SIPP_PORT" \
			-t s1 -i 127.0.0.1 127.0.0.1:5060 || bad=1
		wait "$toggler" || { say "ERROR: a tracking change was refused"; bad=1; }
		# sipp's association ended (SHUTDOWN) with tracking on: tracked 0
		wait_counts_of k "3 0" 5 || bad=1
	fi
	stop_holders 3
	wait_counts k 0 5 || bad=1
	check_alive k || bad=1
	stop_kamailio k
	say "--- phase 2: sctp_autoclose 2, the clients stay open and idle"
	start_rpc_uas k2 "$module" 5060 autoclose=2 || return 1
	start_holders 3 30 || return 1
	kam_rpc k2 sctp.info || true
	say "(right after the replies: informational, autoclose may already have started)"
	sleep 5
	for i in 1 2 3; do
		if [ -z "${CLIENT_PID[holder$i]:-}" ] || ! kill -0 "${CLIENT_PID[holder$i]}" 2>/dev/null; then
			say "ERROR: client holder$i exited early"
			bad=1
		fi
	done
	wait_counts k2 0 3 || bad=1
	stop_holders 3
	for i in 1 2 3; do
		last_result "$SC_DIR/client-holder$i.log"
		if [ "$(result_field shutdown)" = 1 ]; then
			say "ok: client holder$i saw Kamailio shut its idle association down"
		else
			say "ERROR: client holder$i saw no SHUTDOWN from Kamailio (autoclose)"
			bad=1
		fi
	done
	check_alive k2 || bad=1
	[ $bad = 0 ]
}
sc_tracking_ours() { tracking "$OUR_MODULE" 1; }
sc_tracking_c() { tracking "$C_MODULE" 0; }

# ---------------------------------------------------------------------------
# max-assocs-out-ours: sctp_max_assocs 1 with tracking on: a send that would
# open a second association fails before any packet leaves, while the open
# association keeps working. Kamailio A (our module) routes UDP requests by
# their Request-URI to B1 (5080) or B2 (5081) over SCTP. Ours only: the C
# module's build (no SCTP_ADDR_HASH) does not enforce the limit on sends,
# although its manual says it does.

max_assocs_out() {
	local module=$1 bad=0 code mark
	start_kamailio B1 rpc-uas.cfg SCTP_MODULE="$C_MODULE" DEBUG=2 LISTEN=sctp:127.0.0.1:5080 SCTP_PARAMS= &&
		start_kamailio B2 rpc-uas.cfg SCTP_MODULE="$C_MODULE" DEBUG=2 LISTEN=sctp:127.0.0.1:5081 SCTP_PARAMS= &&
		start_kamailio A rpc-router.cfg SCTP_MODULE="$module" DEBUG=2 \
			LISTEN_UDP=udp:127.0.0.1:5060 LISTEN_SCTP=sctp:127.0.0.1:5070 \
			SCTP_PARAMS="$(sctp_params max_assocs=1)" &&
		wait_ready B1 sctp:5080 && wait_ready B2 sctp:5081 && wait_ready A udp:5060 sctp:5070 || return 1
	code=$(python3 "$E2E_DIR/udp_options.py" 5060 "sip:b1@127.0.0.1:5080;transport=sctp" 5)
	expect "OPTIONS via A to B1 (opens the one association allowed)" "$code" 200 || bad=1
	check_association 5070 5080 || bad=1
	mark=$(wc -l <"${KAM_LOG[A]}")
	code=$(python3 "$E2E_DIR/udp_options.py" 5060 "sip:b2@127.0.0.1:5081;transport=sctp" 3)
	expect "OPTIONS via A to B2 (would open a second association)" "$code" timeout || bad=1
	if [ -n "$(assocs_between 5070 5081)$(assocs_between 5081 5070)" ]; then
		say "ERROR: an association between A (5070) and B2 (5081) was opened"
		bad=1
	else
		say "ok: no association between A (5070) and B2 (5081)"
	fi
	if tail -n +"$((mark + 1))" "${KAM_LOG[A]}" | grep -q 'maximum number of sctp associations exceeded'; then
		say "ok: A's log says why:"
		tail -n +"$((mark + 1))" "${KAM_LOG[A]}" | grep 'maximum number of sctp associations' | head -n 2 | indent
	else
		say "ERROR: A's log does not mention the association limit"
		bad=1
	fi
	code=$(python3 "$E2E_DIR/udp_options.py" 5060 "sip:b1@127.0.0.1:5080;transport=sctp" 5)
	expect "OPTIONS via A to B1 again (its association is open)" "$code" 200 || bad=1
	check_alive A || bad=1
	[ $bad = 0 ]
}
sc_max_assocs_out_ours() { max_assocs_out "$OUR_MODULE"; }
