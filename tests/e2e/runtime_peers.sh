# shellcheck shell=bash disable=SC2034
# Peers and associations changed while Kamailio runs (README "Changing peers
# at run time"), bash, sourced by scenarios.sh: sctp.peer_set, peer_list,
# peer_remove and assoc_reset, over kamcmd and over JSON-RPC (jsonrpcs'
# FIFO). The namespaces and paths of multihome.sh; A (rpc-peers-proxy.cfg)
# forwards sipp's calls to B, which declares nothing.

SCENARIOS+=" peer-rpc-ours peer-rpc-failover-ours assoc-reset-ours peer-rpc-c"
HOST_ONLY[peer-rpc-failover-ours]="path failover is the kernel's, the same VM kernel on every release"
HOST_ONLY[peer-rpc-ours]="the peer table and its commands are the module's own code; assoc-reset-ours and assoc-view-ours run the core's RPC interface on every release"
HOST_ONLY[peer-rpc-c]="the control of the runtime-peer scenarios"

RP_PEER="198.18.1.2,198.18.2.2:5060"
RP_FAST="$RP_PEER;pathpfthld=0;srto_min=100;srto_max=200;srto_initial=200"

# rp_start_a MODULE [PARAMS-TEXT]: the namespaces, B, and A with MODULE;
# A's JSON-RPC FIFO in RP_FIFO_DIR (beside the ctl sockets: a FIFO cannot
# live on the VM's shared work directory).
rp_start_a() {
	RP_FIFO_DIR=$CTL_DIR/jsonrpc-$$
	mkdir -p "$RP_FIFO_DIR"
	mh_net_up && mh_start_b && {
		local KAM_NETNS=$MH_A
		start_kamailio A rpc-peers-proxy.cfg SCTP_MODULE="$1" DEBUG="${E2E_DEBUG:-2}" LISTEN_SCTP="$MH_A_LISTEN" \
			LISTEN_UDP=udp:127.0.0.1:5070 NEXT_HOST=198.18.1.2 NEXT_PORT=5060 SCTP_PARAMS="${2:-}" FIFO_DIR="$RP_FIFO_DIR" &&
			wait_ready A sctp:5060
	} || { mh_net_down; return 1; }
}

# jsonrpc METHOD [PARAM...]: the same request through jsonrpcs' FIFO of A;
# JSON_OUT holds the reply.
jsonrpc() {
	local rc=0
	JSON_OUT=$(ip netns exec "$MH_A" timeout 20 python3 "$E2E_DIR/jsonrpc_fifo.py" "$RP_FIFO_DIR/jsonrpc.fifo" "$RP_FIFO_DIR" \
		"$@" 2>&1) || rc=$?
	say "jsonrpc[A] $* (exit code $rc):"
	printf '%s\n' "$JSON_OUT" | cut -c 1-400 | indent
	return $rc
}

# path_rto ADDRESS: the rto of A's path to ADDRESS, from sctp.assoc_list.
path_rto() {
	kam_rpc A sctp.assoc_list >&2 || return 1
	printf '%s\n' "$RPC_OUT" | awk -v a="$1" '$1 == "address:" { here = ($2 == a) } here && $1 == "rto:" { print $2; exit }'
}

# expect_fault WHAT WANT METHOD [ARG...]: the RPC fails, its message
# containing WANT.
expect_fault() {
	local what=$1 want=$2
	shift 2
	if kam_rpc A "$@"; then
		say "ERROR: $what: accepted"
		return 1
	fi
	case $RPC_OUT in
	*"$want"*) say "ok: $what: refused with \"$want\"" ;;
	*) say "ERROR: $what: refused without \"$want\""; return 1 ;;
	esac
}

# peer-rpc: B becomes a declared peer by RPC while calls to it run: the
# live association takes the fast retransmission timeouts (its primary
# path's rto within srto_max 200 ms, from the kernel's 1000 ms minimum);
# removed again, the kernel's minimum is back. No call is lost. Then bad
# input, each refused with no change; the same commands over JSON-RPC; and
# 1000 peer_set calls over 70 peers (the table holds 64) without shared
# memory growing.
sc_peer_rpc_ours() {
	local rc=0 rto list used0 used1
	rp_start_a "$OUR_MODULE" || return 1
	SIPP_NETNS=$MH_A sipp_bg calls 120 -sn uac -m 1000 -r 50 -l 200 -p "$SIPP_PORT" -t u1 -i 127.0.0.1 \
		-recv_timeout 10s 127.0.0.1:5070
	sleep 4
	rto=$(path_rto 198.18.1.2:5060)
	expect "rto of the path to B before (the kernel's minimum, 1000 ms)" "$rto" 1000 || rc=1
	kam_rpc A sctp.peer_set "$RP_FAST" || rc=1
	expect "live associations changed" "$(rpc_field live_associations)" 1 || rc=1
	sleep 4
	rto=$(path_rto 198.18.1.2:5060)
	if [[ $rto =~ ^[0-9]+$ ]] && [ "$rto" -le 200 ]; then
		say "ok: rto of the path to B after peer_set: $rto ms (srto_max 200)"
	else
		say "ERROR: rto of the path to B after peer_set: $rto, expected at most 200"
		rc=1
	fi
	kam_rpc A sctp.peer_list || rc=1
	expect "peer_list" "$(rpc_field addresses) $(rpc_field settings) $(rpc_field source)" \
		"198.18.1.2:5060,198.18.2.2:5060 srto_initial=200;srto_min=100;srto_max=200;pathpfthld=0 rpc" || rc=1
	jsonrpc sctp.peer_list || rc=1
	case $(printf '%s' "$JSON_OUT" | tr -d ' \t\n') in
	*'"settings":"srto_initial=200;srto_min=100;srto_max=200;pathpfthld=0","source":"rpc"'*)
		say "ok: the same over JSON-RPC" ;;
	*) say "ERROR: JSON-RPC's peer_list differs"; rc=1 ;;
	esac
	kam_rpc A sctp.peer_remove 198.18.2.2:5060 || rc=1
	sleep 4
	rto=$(path_rto 198.18.1.2:5060)
	expect "rto of the path to B after peer_remove (back to 1000 ms)" "$rto" 1000 || rc=1
	sipp_bg_wait calls
	say "sipp[calls]: $SIPP_OK successful, $SIPP_FAILED failed calls; exit code $SIPP_RC"
	expect "calls passed (of 1000) through both changes" "$SIPP_OK" 1000 || { sipp_explain; rc=1; }
	# bad input: refused, nothing changed
	expect_fault "unknown setting" 'unknown setting "rto"' sctp.peer_set "$RP_PEER;rto=5" || rc=1
	expect_fault "value out of range" 'setting "dscp=64": expected a DSCP from 0 to 63' \
		sctp.peer_set "$RP_PEER;dscp=64" || rc=1
	expect_fault "malformed address" 'bad address "198.18.x.2"' sctp.peer_set "198.18.x.2:5060" || rc=1
	expect_fault "removing an unknown peer" 'no declared peer has an address of "198.18.9.9:5060"' \
		sctp.peer_remove 198.18.9.9:5060 || rc=1
	expect_fault "resetting an unknown connection" "unknown connection id 99999" sctp.assoc_reset 99999 || rc=1
	kam_rpc A sctp.peer_list
	expect "peers after the refusals" "$(rpc_names | grep -c '^addresses$')" 0 || rc=1
	jsonrpc sctp.peer_set "$RP_PEER;rto=5" && { say "ERROR: JSON-RPC accepted rto=5"; rc=1; }
	case $JSON_OUT in *'unknown setting \"rto\"'* | *'unknown setting "rto"'*) say "ok: refused over JSON-RPC too" ;;
	*) say "ERROR: JSON-RPC's refusal does not name the setting"; rc=1 ;; esac
	# 1000 changes, 70 peers for a table of 64
	kam_rpc A core.shmmem && used0=$(rpc_field used)
	ip netns exec "$MH_A" timeout 700 python3 "$E2E_DIR/jsonrpc_fifo.py" "$RP_FIFO_DIR/jsonrpc.fifo" "$RP_FIFO_DIR" \
		--many 1000 70 sctp.peer_set "10.77.{k}.1:5060;srto_min=100" >"$SC_DIR/many.txt" 2>&1 || rc=1
	say "1000 sctp.peer_set over JSON-RPC, 70 peers:"
	indent <"$SC_DIR/many.txt"
	expect "peer_set calls that succeeded" "$(awk '$1 == "ok" { print $2 }' "$SC_DIR/many.txt")" 916 || rc=1
	grep -q "error 84: the peer table is full (64 peers)" "$SC_DIR/many.txt" ||
		{ say "ERROR: the 84 calls for peers 65 to 70 were not refused as a full table"; rc=1; }
	kam_rpc A sctp.peer_list >/dev/null
	expect "peers in the table" "$(rpc_names | grep -c '^addresses$')" 64 || rc=1
	kam_rpc A core.shmmem && used1=$(rpc_field used)
	if [[ $used0 =~ ^[0-9]+$ && $used1 =~ ^[0-9]+$ ]] && [ $((used1 - used0)) -lt 65536 ]; then
		say "ok: shared memory used before and after: $used0, $used1 bytes"
	else
		say "ERROR: shared memory used before and after: $used0, $used1 bytes (grew 64 kB or more)"
		rc=1
	fi
	check_alive A && check_alive B || rc=1
	stop_all
	mh_net_down
	return $rc
}

# peer-rpc-failover: as path-failover's per-peer run, the fast settings set
# by RPC (A's config declares no peer): path 1 goes down mid-traffic, no
# call is lost, and the failover is under 500 ms.
sc_peer_rpc_failover_ours() {
	local rc=0
	rp_start_a "$OUR_MODULE" && kam_rpc A sctp.peer_set "$RP_FAST" || { stop_all; mh_net_down; return 1; }
	failover_traffic rpc || rc=1
	expect_ms "failover with the settings set by RPC" "$FAILOVER_MS" -lt 500 || rc=1
	check_alive A && check_alive B || rc=1
	stop_all
	mh_net_down
	return $rc
}

# assoc-reset: during calls, A's association to B is ended by RPC, first
# gracefully, then the next one by abort: each time the event route runs
# once for it, the counter moves, and the next call opens a new association
# (another connection id). No call is lost.
sc_assoc_reset_ours() {
	local rc=0 id how n counter before after
	rp_start_a "$OUR_MODULE" || return 1
	SIPP_NETNS=$MH_A sipp_bg calls 120 -sn uac -m 800 -r 50 -l 200 -p "$SIPP_PORT" -t u1 -i 127.0.0.1 \
		-recv_timeout 10s 127.0.0.1:5070
	for how in shutdown abort; do
		sleep 3
		kam_rpc A sctp.assoc_list || rc=1
		id=$(rpc_field conn_id)
		counter=$([ $how = shutdown ] && echo assoc_shutdown || echo comm_lost)
		before=$(counter_value A "$counter")
		kam_rpc A sctp.assoc_reset "$id" "$how" || rc=1
		expect "$how: the answer's connection" "$(rpc_field conn_id) $(rpc_field how)" "$id $how" || rc=1
		sleep 2
		n=$(grep -c "EVT assoc-down .* conid=$id " "${KAM_LOG[A]}")
		expect "$how: assoc-down events for connection $id" "$n" 1 || rc=1
		after=$(counter_value A "$counter")
		expect "$how: $counter moved" "$((after - before))" 1 || rc=1
		grep "sctp.assoc_reset: connection $id " "${KAM_LOG[A]}" | head -n 1 | cut -c 1-250 | indent
		grep -q "NOTICE: sctp .*sctp.assoc_reset: connection $id (association" "${KAM_LOG[A]}" ||
			{ say "ERROR: no notice line for the reset of connection $id"; rc=1; }
		kam_rpc A sctp.assoc_list || rc=1
		if [ "$(rpc_field conn_id)" = "$id" ] || [ "$(rpc_field conn_id)" = "?" ]; then
			say "ERROR: no new association after the $how of connection $id"
			rc=1
		else
			say "ok: a new association (connection $(rpc_field conn_id)) after the $how of connection $id"
		fi
	done
	expect_fault "a bad way to end" "expected shutdown (the default) or abort" sctp.assoc_reset "$(rpc_field conn_id)" soon ||
		rc=1
	sipp_bg_wait calls
	say "sipp[calls]: $SIPP_OK successful, $SIPP_FAILED failed calls; exit code $SIPP_RC"
	expect "calls passed (of 800) through both resets" "$SIPP_OK" 800 || { sipp_explain; rc=1; }
	check_alive A && check_alive B || rc=1
	stop_all
	mh_net_down
	return $rc
}

# peer-rpc-c, the control: the C module has none of these commands.
sc_peer_rpc_c() {
	local rc=0 method
	# mh-proxy.cfg: rpc-peers-proxy.cfg's event route reads $sctp(...), which
	# the C module does not have
	mh_net_up && mh_start_b && mh_start_a "$C_MODULE" mh-proxy.cfg "" LISTEN_UDP=udp:127.0.0.1:5070 \
		NEXT_HOST=198.18.1.2 NEXT_PORT=5060 || { mh_net_down; return 1; }
	for method in sctp.peer_list sctp.peer_set sctp.peer_remove sctp.assoc_reset; do
		if kam_rpc A "$method"; then
			say "ERROR: the C module answers $method"
			rc=1
		else
			say "ok: the C module has no $method"
		fi
	done
	stop_all
	mh_net_down
	return $rc
}
