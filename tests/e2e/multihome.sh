# shellcheck shell=bash disable=SC2034
# The multihoming scenarios (bash, sourced by scenarios.sh): two paths
# between Kamailio A and a multihomed Kamailio B, in network namespaces the
# scenario creates, on the 198.18.0.0/15 benchmarking range:
#
#   namespace A: mha1 198.18.1.1/24 ---- veth (path 1) ---- mhb1 198.18.1.2/24 :namespace B
#                mha2 198.18.2.1/24 ---- veth (path 2) ---- mhb2 198.18.2.2/24
#
# A listens on sctp:(198.18.1.1,198.18.2.1):5060 (and udp:127.0.0.1:5070 for
# sipp, which runs in A's namespace), B on sctp:(198.18.1.2,198.18.2.2):5060.
# B always runs our module (the UAS); A runs the module under test. A path is
# taken down by setting A's end of its veth down (B's end loses its carrier).

SCENARIOS+=" peer-path-down-ours peer-path-down-c dispatcher-2429-ours dispatcher-2429-c"
SCENARIOS+=" path-failover-ours path-failover-c bad-peer learnt-peer-ours"
HOST_ONLY[path-failover-ours]="two runs of 400 calls (30 s); path failover is the kernel's, the same VM kernel on every release"
HOST_ONLY[path-failover-c]="the control of path-failover-ours"
HOST_ONLY[peer-path-down-c]="the control of peer-path-down-ours (that the setup reproduces the C module's failure)"
HOST_ONLY[dispatcher-2429-c]="the control of dispatcher-2429-ours (that the setup reproduces #2429)"

MH_PEER='modparam("sctp", "sctp_peer", "198.18.1.2,198.18.2.2:5060")'
MH_A_LISTEN="sctp:(198.18.1.1,198.18.2.1):5060"
MH_B_LISTEN="sctp:(198.18.1.2,198.18.2.2):5060"

# mh_net_up: the two namespaces and paths (MH_A, MH_B name the namespaces).
mh_net_up() {
	MH_A=kse2e-mha-$$ MH_B=kse2e-mhb-$$
	mh_net_down
	ip netns add "$MH_A" && ip netns add "$MH_B" || { say "ERROR: cannot create network namespaces"; return 1; }
	local n
	for n in 1 2; do
		ip -n "$MH_A" link add "mha$n" type veth peer name "mhb$n" netns "$MH_B" ||
			{ say "ERROR: cannot create veth pair $n (is the veth module loaded?)"; return 1; }
		ip -n "$MH_A" addr add "198.18.$n.1/24" dev "mha$n" &&
			ip -n "$MH_B" addr add "198.18.$n.2/24" dev "mhb$n" &&
			ip -n "$MH_A" link set "mha$n" up && ip -n "$MH_B" link set "mhb$n" up || return 1
	done
	ip -n "$MH_A" link set lo up && ip -n "$MH_B" link set lo up || return 1
	say "namespaces $MH_A (198.18.1.1, 198.18.2.1) and $MH_B (198.18.1.2, 198.18.2.2), two veth paths"
}

mh_net_down() {
	ip netns del "$MH_A" 2>/dev/null
	ip netns del "$MH_B" 2>/dev/null
	return 0
}

# mh_path_down N: path N fails (A's end of its veth down).
mh_path_down() {
	ip -n "$MH_A" link set "mha$1" down && say "path $1 down (mha$1 in $MH_A)"
}

# mh_start_b [NAME=VALUE...]: Kamailio B (our module, the given sctp
# modparams), ready.
mh_start_b() {
	local KAM_NETNS=$MH_B
	start_kamailio B mh-uas.cfg SCTP_MODULE="$OUR_MODULE" DEBUG=2 LISTEN="$MH_B_LISTEN" \
		SCTP_PARAMS="$(sctp_params "$@")" && wait_ready B sctp:5060
}

# mh_start_a MODULE CONFIG PARAMS-TEXT [KEY=VALUE...]: Kamailio A, ready.
mh_start_a() {
	local KAM_NETNS=$MH_A module=$1 cfg=$2 params=$3
	shift 3
	start_kamailio A "$cfg" SCTP_MODULE="$module" DEBUG="${E2E_DEBUG:-2}" LISTEN_SCTP="$MH_A_LISTEN" \
		SCTP_PARAMS="$params" PLAIN_HOST="${MH_PLAIN_HOST:-198.18.1.2}" PLAIN_PORT="${MH_PLAIN_PORT:-0}" "$@" && wait_ready A sctp:5060
}

# mh_assocs: show A's associations (ours: one to B, with both of B's
# addresses); MH_ASSOCS is their number.
mh_assocs() {
	say "associations in $MH_A (/proc/net/sctp/assocs):"
	ip netns exec "$MH_A" cat /proc/net/sctp/assocs | indent
	MH_ASSOCS=$(ip netns exec "$MH_A" awk 'NR > 1' /proc/net/sctp/assocs | wc -l)
}

# peer-path-down: path 1 is down before any association exists; A forwards
# 10 calls to B's first address. With B declared a multihomed peer (ours),
# the association is opened with both addresses and the INIT reaches B on
# path 2: every call passes. The C module opens it with the first address
# only: no call can pass. The -c scenario checks that the C module does fail
# here, which shows that the setup reproduces the problem ours solves.
peer_path_down() {
	local module=$1 want=$2 params=$3 rc=0
	mh_net_up && mh_start_b &&
		mh_start_a "$module" mh-proxy.cfg "$params" LISTEN_UDP=udp:127.0.0.1:5070 \
			NEXT_HOST=198.18.1.2 NEXT_PORT=5060 && mh_path_down 1 || { mh_net_down; return 1; }
	SIPP_NETNS=$MH_A sipp_counts calls 60 -sn uac -m 10 -r 5 -l 10 -p "$SIPP_PORT" -t u1 -i 127.0.0.1 \
		-recv_timeout 8s 127.0.0.1:5070
	mh_assocs
	expect "calls passed (of 10) with path 1 down" "$SIPP_OK" "$want" || { sipp_explain; rc=1; }
	[ "$want" = 0 ] || expect "associations from A to B" "$MH_ASSOCS" 1 || rc=1
	if [ "$module" = "$OUR_MODULE" ]; then
		# sctp_pathpfthld in the cfg group: the modparam's 3, then changed
		kam_rpc A cfg.get sctp pathpfthld
		expect "cfg.get sctp pathpfthld (modparam 3)" "$RPC_OUT" 3 || rc=1
		kam_rpc A cfg.set_now_int sctp pathpfthld 1 && kam_rpc A cfg.get sctp pathpfthld
		expect "cfg.get sctp pathpfthld after cfg.set_now_int 1" "$RPC_OUT" 1 || rc=1
	fi
	check_alive A && check_alive B || rc=1
	stop_all
	mh_net_down
	return $rc
}
sc_peer_path_down_ours() {
	peer_path_down "$OUR_MODULE" 10 "$MH_PEER
$(sctp_params pathpfthld=3)"
}
sc_peer_path_down_c() { peer_path_down "$C_MODULE" 0 ""; }

# dispatcher-2429: Kamailio issue #2429's setup. One dispatcher set lists
# both addresses of B, the primary and the secondary; dispatcher probes each
# with OPTIONS every second (tm gives up on an unanswered one after 3 s).
# Path 1 is down before any association exists, the case the set is there
# for. After 10 s both destinations must be active and probed ("AP" in
# dispatcher.list): B is reachable, over path 2. With the C module, the
# association to the first address never comes up, and its INIT holds that
# address, so the probes of both destinations fail.
dispatcher_2429() {
	dispatcher_2429_steps "$1" "$2" down
}

# dispatcher_2429_steps MODULE PARAMS-TEXT up|down: path 1 up or down.
dispatcher_2429_steps() {
	local module=$1 rc=0 flags
	mkdir -p "$SC_DIR/A"
	# dispatcher keeps a set's destinations in the reverse order of the file:
	# listed so, the first address is probed first, every second
	printf '%s\n' "1 sip:198.18.2.2:5060;transport=sctp 0 0" "1 sip:198.18.1.2:5060;transport=sctp 0 0" \
		>"$SC_DIR/A/dispatcher.list"
	mh_net_up && mh_start_b && { [ "$3" = up ] || mh_path_down 1; } &&
		mh_start_a "$module" mh-dispatcher.cfg "$2" || { mh_net_down; return 1; }
	sleep "$([ "$3" = up ] && echo 5 || echo 10)"
	kam_rpc A dispatcher.list || rc=1
	flags=$(printf '%s\n' "$RPC_OUT" | awk '/URI:/ { uri = $2 } /FLAGS:/ { print uri "=" $2 }' | sort | tr '\n' ' ')
	DS_FLAGS=${flags% }
	say "dispatcher destinations (URI=FLAGS): $DS_FLAGS"
	mh_assocs
	check_alive A && check_alive B || rc=1
	stop_all
	mh_net_down
	return $rc
}
MH_BOTH_UP="sip:198.18.1.2:5060;transport=sctp=AP sip:198.18.2.2:5060;transport=sctp=AP"
# learnt-peer: B is not declared; both paths are up and sctp_max_assocs is 1.
# Dispatcher probes B's first address (which opens the one association
# allowed), then its second: that send must go on the same association,
# because the addresses the kernel reports at SCTP_COMM_UP lead to it in the
# association table. Were they not learnt, the limit would refuse every
# probe of the second address (one a second). One refusal is let through:
# a probe sent while the association is coming up, before a receiver has
# read its SCTP_COMM_UP (seen once, in a full suite run).
sc_learnt_peer_ours() {
	dispatcher_2429_steps "$OUR_MODULE" "$(sctp_params max_assocs=1)" up || return 1
	local bad=0 refused
	expect "dispatcher destinations" "$DS_FLAGS" "$MH_BOTH_UP" || bad=1
	expect "associations from A to B" "$MH_ASSOCS" 1 || bad=1
	refused=$(grep -c "maximum number of sctp associations exceeded" "${KAM_LOG[A]}")
	if [ "$refused" -gt 1 ]; then
		say "ERROR: kamailio[A] refused $refused sends for the association limit:"
		grep "maximum number of sctp associations" "${KAM_LOG[A]}" | head -n 3 | cut -c 1-250 | indent
		bad=1
	else
		say "ok: sends refused for the association limit: $refused (at most 1, while the association came up)"
	fi
	[ $bad = 0 ]
}

sc_dispatcher_2429_ours() {
	dispatcher_2429 "$OUR_MODULE" "$MH_PEER" || return 1
	expect "dispatcher destinations" "$DS_FLAGS" "$MH_BOTH_UP" && expect "associations from A to B" "$MH_ASSOCS" 1
}
# the C module fails as in #2429: B's second address is reachable, yet its
# probes are not answered (its association cannot come up)
sc_dispatcher_2429_c() {
	dispatcher_2429 "$C_MODULE" "" || return 1
	case " $DS_FLAGS " in
	*" sip:198.18.2.2:5060;transport=sctp=AP "*)
		say "ERROR: with the C module B's second address is active: the setup does not reproduce #2429"
		return 1
		;;
	esac
	say "ok: with the C module B's reachable second address is not active (#2429 reproduced)"
}

# path-failover: sipp makes calls through A to B (50 calls/s); path 1, the
# primary path of the association, goes down 3 s in. No call may be lost.
# The failover time is how long after the path went down the first request
# reaches B over path 2 (from A's second address, in B's "mh-rx" log lines).
# Run twice: tuned globally (sctp_pathpfthld 0 and short retransmission
# timeouts, on A and B), then with the same settings for one of two peers
# only (failover_two_peers).
MH_TUNED=(pathpfthld=0 srto_min=100 srto_max=200 srto_initial=200)
MH_FAILOVER_CALLS=${E2E_FAILOVER_CALLS:-400}

# failover_traffic LABEL: sipp's calls from A to B (50 calls/s), path 1 down
# 3 s in; no call may be lost. FAILOVER_MS: how long after the path went
# down the first request reached B over path 2 (from A's second address, in
# B's "mh-rx" log lines).
failover_traffic() {
	local label=$1 rc=0 t_down first
	FAILOVER_MS="?"
	SIPP_NETNS=$MH_A sipp_bg "$label" 90 -sn uac -m "$MH_FAILOVER_CALLS" -r 50 -l 200 -p "$SIPP_PORT" \
		-t u1 -i 127.0.0.1 -recv_timeout 20s 127.0.0.1:5070
	sleep 3
	t_down=$(now)
	mh_path_down 1 || rc=1
	sipp_bg_wait "$label"
	say "sipp[$label]: $SIPP_OK successful, $SIPP_FAILED failed calls; exit code $SIPP_RC"
	expect "$label: calls passed (of $MH_FAILOVER_CALLS), path 1 down mid-traffic" "$SIPP_OK" "$MH_FAILOVER_CALLS" ||
		{ sipp_explain; rc=1; }
	first=$(first_over_path2 "${KAM_LOG[B]}" "$t_down")
	if [ -z "$first" ]; then
		say "ERROR: $label: no request reached B over path 2 after path 1 went down"
		rc=1
	else
		FAILOVER_MS=$(ms_between "$t_down" "$first")
		say "$label: failover time ${FAILOVER_MS} ms (path 1 down at $t_down, first request over path 2 at $first)"
	fi
	return $rc
}

failover_run() {
	local label=$1 rc=0
	shift
	mh_net_up && mh_start_b "$@" &&
		mh_start_a "$OUR_MODULE" mh-proxy.cfg "${MH_PEER_LINE:-$MH_PEER}
$(sctp_params "$@")" LISTEN_UDP=udp:127.0.0.1:5070 NEXT_HOST=198.18.1.2 NEXT_PORT=5060 ||
		{ mh_net_down; return 1; }
	failover_traffic "$label" || rc=1
	mh_assocs
	check_alive A && check_alive B || rc=1
	stop_all
	mh_net_down
	return $rc
}

# first_over_path2 LOG T: the time of the first request in B's LOG that came
# over path 2 after time T, if any.
first_over_path2() {
	awk -v t="$2" '{ for (i = 1; i < NF; i++) if ($i == "mh-rx" && $(i + 1) > t && $NF == "198.18.2.1") {
		print $(i + 1); exit } }' "$1"
}

# failover_two_peers MODULE PARAMS-TEXT: two peers behind the same two
# paths, B (port 5060) and B2 (port 5062); A runs MODULE with PARAMS-TEXT
# (ours: B declared with the fast settings, B2 without; A's global
# parameters are the kernel's). sipp sends 50 calls/s to each; path 1 goes
# down 3 s in. No call may be lost. Sets FAST_MS and PLAIN_MS.
failover_two_peers() {
	local module=$1 params=$2 rc=0 t_down first label
	mh_net_up && mh_start_b && {
		local KAM_NETNS=$MH_B
		start_kamailio B2 mh-uas.cfg SCTP_MODULE="$OUR_MODULE" DEBUG=2 LISTEN="sctp:(198.18.1.2,198.18.2.2):5062" \
			SCTP_PARAMS="" && wait_ready B2 sctp:5062
	} && MH_PLAIN_PORT=5062 mh_start_a "$module" mh-proxy.cfg "$params" \
		LISTEN_UDP=udp:127.0.0.1:5070 NEXT_HOST=198.18.1.2 NEXT_PORT=5060 || { mh_net_down; return 1; }
	SIPP_NETNS=$MH_A sipp_bg fast 90 -sn uac -s fast -m $((MH_FAILOVER_CALLS / 2)) -r 25 -l 200 -p "$SIPP_PORT" \
		-t u1 -i 127.0.0.1 -recv_timeout 20s 127.0.0.1:5070
	SIPP_NETNS=$MH_A sipp_bg plain 90 -sn uac -s plain -m $((MH_FAILOVER_CALLS / 2)) -r 25 -l 200 -p $((SIPP_PORT + 1)) \
		-t u1 -i 127.0.0.1 -recv_timeout 20s 127.0.0.1:5070
	sleep 3
	t_down=$(now)
	mh_path_down 1 || rc=1
	for label in fast plain; do
		sipp_bg_wait "$label"
		say "sipp[$label]: $SIPP_OK successful, $SIPP_FAILED failed calls; exit code $SIPP_RC"
		expect "$label: calls passed (of $((MH_FAILOVER_CALLS / 2))), path 1 down mid-traffic" "$SIPP_OK" \
			"$((MH_FAILOVER_CALLS / 2))" || { sipp_explain; rc=1; }
	done
	FAST_MS="?" PLAIN_MS="?"
	first=$(first_over_path2 "${KAM_LOG[B]}" "$t_down")
	[ -z "$first" ] || FAST_MS=$(ms_between "$t_down" "$first")
	first=$(first_over_path2 "${KAM_LOG[B2]}" "$t_down")
	[ -z "$first" ] || PLAIN_MS=$(ms_between "$t_down" "$first")
	say "failover time: B ${FAST_MS} ms, B2 ${PLAIN_MS} ms"
	mh_assocs
	expect "associations from A (one per peer)" "$MH_ASSOCS" 2 || rc=1
	check_alive A && check_alive B && check_alive B2 || rc=1
	stop_all
	mh_net_down
	return $rc
}

sc_path_failover_ours() {
	local rc=0 tuned_ms="?" profile
	FAILOVER_MS="?"
	failover_run tuned "${MH_TUNED[@]}" || rc=1
	tuned_ms=$FAILOVER_MS
	profile=$(IFS=';' && echo "${MH_TUNED[*]}")
	failover_two_peers "$OUR_MODULE" "modparam(\"sctp\", \"sctp_peer\", \"198.18.1.2,198.18.2.2:5060;$profile\")
modparam(\"sctp\", \"sctp_peer\", \"198.18.1.2,198.18.2.2:5062\")" || rc=1
	say "failover time: tuned globally (${MH_TUNED[*]}) ${tuned_ms} ms; in one run, the peer with" \
		"these settings on its sctp_peer line ${FAST_MS} ms, the peer without ${PLAIN_MS} ms"
	# the profile must act as the global settings do: well under the
	# kernel's pace, which the other peer keeps
	expect_ms "failover of the peer with the settings" "$FAST_MS" -lt 500 || rc=1
	expect_ms "failover of the peer without" "$PLAIN_MS" -ge 800 || rc=1
	return $rc
}

# expect_ms WHAT MS TEST LIMIT: MS is a number of ms that passes
# `[ MS TEST LIMIT ]` (-lt, -ge).
expect_ms() {
	if [[ $2 =~ ^[0-9]+$ ]] && [ "$2" "$3" "$4" ]; then
		say "ok: $1: $2 ms ($3 $4)"
	else
		say "ERROR: $1: $2 ms, expected $3 $4"
		return 1
	fi
}

# the C module has global settings only: at the kernel's defaults both peers
# fail over at its pace (800 ms or more)
sc_path_failover_c() {
	local rc=0
	failover_two_peers "$C_MODULE" "" || rc=1
	expect_ms "C module: failover of B" "$FAST_MS" -ge 800 || rc=1
	expect_ms "C module: failover of B2" "$PLAIN_MS" -ge 800 || rc=1
	return $rc
}

# bad-peer: bad values of sctp_peer and of the per-peer and path MTU
# parameters each stop Kamailio at startup with our error line naming the
# parameter, the value and what is wrong.
sc_bad_peer() {
	local rc=0
	bad_modparam address 'modparam("sctp", "sctp_peer", "198.18.1.2,198.18.x.2:5060")' \
		'invalid value "198.18.1.2,198.18.x.2:5060" for modparam("sctp", "sctp_peer"): bad address "198.18.x.2"' || rc=1
	bad_modparam setting 'modparam("sctp", "sctp_peer", "198.18.1.2:5060;dscp=64")' \
		'invalid value "198.18.1.2:5060;dscp=64" for modparam("sctp", "sctp_peer"): setting "dscp=64": expected a DSCP from 0 to 63' || rc=1
	bad_modparam probe 'modparam("sctp", "sctp_peer", "198.18.1.2:5060;plpmtud=100")' \
		'for modparam("sctp", "sctp_peer"): setting "plpmtud=100": expected 0 (off), or 5000' || rc=1
	bad_modparam interval 'modparam("sctp", "sctp_plpmtud_interval", 100)' \
		'invalid value 100 for modparam("sctp", "sctp_plpmtud_interval"): expected 0 (off), milliseconds from 5000' || rc=1
	bad_modparam abort 'modparam("sctp", "sctp_stall_abort", 2)' \
		'invalid value 2 for modparam("sctp", "sctp_stall_abort"): expected 0 or 1' || rc=1
	return $rc
}

# bad_modparam LABEL LINE WANT: Kamailio (uas.cfg with LINE after the
# modules; in network namespace BAD_NETNS when set) must exit at startup,
# not 0, with an error line of the sctp module containing WANT.
bad_modparam() {
	local label=$1 line=$2 want=$3 limit=20 rc=0 log deadline dir=$SC_DIR/bad-$1
	mkdir -p "$dir/run"
	fill_config "$E2E_DIR/configs/uas.cfg" "$dir/kamailio.cfg" MPATH="$KAM_MPATH" SCTP_MODULE="$OUR_MODULE" \
		LISTEN=sctp:127.0.0.1:5060 || return 1
	printf '%s\n' "$line" >"$dir/line"
	sed -i "/^loadmodule \"sl.so\"/r $dir/line" "$dir/kamailio.cfg"
	say "--- $label: $line"
	log=$dir/kamailio.log
	KAM_LOG[bad-$label]=$log
	local ns=()
	[ -z "${BAD_NETNS:-}" ] || ns=(ip netns exec "$BAD_NETNS")
	setsid "${ns[@]}" kamailio -f "$dir/kamailio.cfg" -DD -E -m 64 -M 8 -Y "$dir/run" -w "$dir" >"$log" 2>&1 </dev/null &
	KAM_PID[bad]=$!
	deadline=$((SECONDS + limit))
	while alive "${KAM_PID[bad]}" && [ $SECONDS -lt $deadline ]; do
		sleep 0.2
	done
	if alive "${KAM_PID[bad]}"; then
		say "ERROR: kamailio[bad] still runs after $limit s: it accepted $line"
		return 1
	fi
	wait "${KAM_PID[bad]}" || rc=$?
	unset "KAM_PID[bad]"
	say "kamailio[bad] exited with code $rc; its sctp error lines:"
	grep -F "ERROR: sctp [" "$log" | head -n 3 | cut -c 1-300 | indent
	[ "$rc" != 0 ] || { say "ERROR: kamailio[bad] exited with code 0"; return 1; }
	grep -F "ERROR: sctp [" "$log" | grep -q -F "$want" ||
		{ say "ERROR: the log has no error line of the sctp module saying: $want"; return 1; }
	say "ok: the module refused the value with: $want"
}
