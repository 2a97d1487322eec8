# shellcheck shell=bash disable=SC2034
# Per-peer settings besides failover (bash, sourced by scenarios.sh; failover
# is in multihome.sh): DSCP on a peer's sctp_peer line, and path MTU probing.

SCENARIOS+=" peer-dscp-ours plpmtud-ours plpmtud-c"
HOST_ONLY[plpmtud-ours]="two runs, one waiting about 80 s for the kernel's probe search; the probing is the kernel's, the same VM kernel on every release"
HOST_ONLY[plpmtud-c]="the control of plpmtud-ours"

# dscp_counts PORT: "DSCP=COUNT ..." of the tos_count.py result for packets
# to PORT.
dscp_counts() {
	local w out=""
	for w in $CLIENT_RESULT; do
		case $w in "$1":*) out+="${w#*:} " ;; esac
	done
	echo "${out% }"
}

# peer-dscp: K (mh-proxy.cfg on loopback, the core's tos 0x20, DSCP 8)
# forwards sipp's calls to two UAS, S1 on port 5070 declared with ;dscp=46
# and S2 on port 5072 declared without. tos_count.py counts the SCTP packets
# by destination port and DSCP. Those to S1 must carry 46 (EF) once its
# association is up: only the handshake and the packets K sends before its
# receiver has read SCTP_COMM_UP carry the socket's DSCP (at most 10
# allowed). Every packet to S2 must carry the core's (8).
sc_peer_dscp_ours() {
	local bad=0 ready=$SC_DIR/tos.ready pid calls=200 label k fast plain n_ef n_other
	start_kamailio S1 stall-peer.cfg SCTP_MODULE="$OUR_MODULE" LISTEN=sctp:127.0.0.1:5070 DEFINES="" SCTP_PARAMS="" &&
		start_kamailio S2 stall-peer.cfg SCTP_MODULE="$OUR_MODULE" LISTEN=sctp:127.0.0.1:5072 DEFINES="" \
			SCTP_PARAMS="" && wait_ready S1 sctp:5070 && wait_ready S2 sctp:5072 || return 1
	say "run: tos_count.py --seconds 90 (SCTP packets by destination port and DSCP)"
	python3 "$E2E_DIR/tos_count.py" --seconds 90 --ready "$ready" >"$SC_DIR/tos.log" 2>&1 </dev/null &
	pid=$!
	for ((k = 0; k < 50; k++)); do
		[ -e "$ready" ] && break
		sleep 0.1
	done
	start_kamailio K mh-proxy.cfg SCTP_MODULE="$OUR_MODULE" DEBUG=2 LISTEN_UDP=udp:127.0.0.1:5060 \
		LISTEN_SCTP=sctp:127.0.0.1:5062 NEXT_HOST=127.0.0.1 NEXT_PORT=5070 PLAIN_HOST=127.0.0.1 PLAIN_PORT=5072 SCTP_PARAMS="tos=0x20
modparam(\"sctp\", \"sctp_peer\", \"127.0.0.1:5070;dscp=46\")
modparam(\"sctp\", \"sctp_peer\", \"127.0.0.1:5072\")" && wait_ready K udp:5060 sctp:5062 ||
		{ kill -TERM "$pid"; return 1; }
	for label in fast plain; do
		sipp_counts "$label" 60 -sn uac -s "$label" -m "$calls" -r 100 -l 200 -p "$SIPP_PORT" -t u1 -i 127.0.0.1 \
			127.0.0.1:5060 -recv_timeout 10s
		expect "$label: calls passed (of $calls)" "$SIPP_OK" "$calls" || { sipp_explain; bad=1; }
	done
	kill -TERM "$pid"
	wait "$pid"
	indent <"$SC_DIR/tos.log"
	last_result "$SC_DIR/tos.log"
	fast=$(dscp_counts 5070) plain=$(dscp_counts 5072)
	say "packets to S1 (;dscp=46) by DSCP: $fast; to S2 (no settings): $plain"
	n_ef=0 n_other=0
	for w in $fast; do
		case $w in 46=*) n_ef=$((n_ef + ${w#*=})) ;; *) n_other=$((n_other + ${w#*=})) ;; esac
	done
	if [ "$n_ef" -ge "$calls" ] && [ "$n_other" -le 10 ]; then
		say "ok: $n_ef packets to S1 carried DSCP 46, $n_other (the handshake) the socket's"
	else
		say "ERROR: to S1, $n_ef packets with DSCP 46 (expected $calls or more) and $n_other with another (at most 10)"
		bad=1
	fi
	case " $plain " in
	" 8="[0-9]*" ") say "ok: every packet to S2 carried the core's tos (DSCP 8)" ;;
	*) say "ERROR: packets to S2 should all carry DSCP 8 (the core's tos 0x20): $plain"; bad=1 ;;
	esac
	check_alive K && check_alive S1 && check_alive S2 || bad=1
	[ $bad = 0 ]
}

# ---------------------------------------------------------------------------
# plpmtud: Kamailio K in namespace A forwards OPTIONS with a 4000-byte body
# (udp_big.py, over UDP on A's loopback) to S in namespace B through router
# R. The R-B link's MTU is 1280 and R drops every ICMP it would send (a
# policy rule routes ICMP to a blackhole), so A never learns that its
# 1500-byte packets cannot pass. First one small OPTIONS opens the
# association (small packets pass). Without probing, no big request is
# answered: the association is up and stalls. With `plpmtud=5000` on S's
# sctp_peer line, the kernel probes the path (RFC 8899), and once the path's
# MTU in sctp.assoc_list is 1280 or less, every big request is answered.
#
#   namespace A: pa 198.18.10.1/24 -- veth -- ra 198.18.10.2/24 :namespace R
#   namespace R: rb 198.18.11.1/24 -- veth, MTU 1280 -- pb 198.18.11.2/24 :namespace B

PM_BIG=10

pm_net_up() {
	PM_A=kse2e-pma-$$ PM_R=kse2e-pmr-$$ PM_B=kse2e-pmb-$$
	pm_net_down
	ip netns add "$PM_A" && ip netns add "$PM_R" && ip netns add "$PM_B" || return 1
	ip -n "$PM_A" link add pa type veth peer name ra netns "$PM_R" &&
		ip -n "$PM_R" link add rb type veth peer name pb netns "$PM_B" &&
		ip -n "$PM_A" addr add 198.18.10.1/24 dev pa && ip -n "$PM_R" addr add 198.18.10.2/24 dev ra &&
		ip -n "$PM_R" addr add 198.18.11.1/24 dev rb && ip -n "$PM_B" addr add 198.18.11.2/24 dev pb &&
		ip -n "$PM_R" link set rb mtu 1280 && ip -n "$PM_B" link set pb mtu 1280 &&
		ip -n "$PM_A" link set pa up && ip -n "$PM_R" link set ra up && ip -n "$PM_R" link set rb up &&
		ip -n "$PM_B" link set pb up && ip -n "$PM_A" link set lo up && ip -n "$PM_B" link set lo up &&
		ip -n "$PM_A" route add default via 198.18.10.2 && ip -n "$PM_B" route add default via 198.18.11.1 &&
		ip netns exec "$PM_R" sysctl -qw net.ipv4.ip_forward=1 &&
		ip -n "$PM_R" rule add ipproto icmp lookup 100 pref 100 &&
		ip -n "$PM_R" route add blackhole default table 100 ||
		{ say "ERROR: cannot set up the namespaces A, R, B"; return 1; }
	say "namespaces $PM_A (198.18.10.1) -- $PM_R (router, ICMP dropped) -- MTU 1280 -- $PM_B (198.18.11.2)"
}

pm_net_down() {
	local ns
	for ns in "${PM_A:-}" "${PM_R:-}" "${PM_B:-}"; do
		[ -z "$ns" ] || ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# pm_mtu: the mtu of the path of K's association to S (sctp.assoc_list), or "?".
pm_mtu() {
	local m
	kam_rpc K sctp.assoc_list >/dev/null 2>&1 || { echo "?"; return; }
	m=$(printf '%s\n' "$RPC_OUT" | awk '$1 == "mtu:" { print $2; exit }')
	echo "${m:-?}"
}

# plpmtud_run LABEL MODULE PARAMS-TEXT PROBE(0|1): one run; sets PM_ANSWERED.
plpmtud_run() {
	local label=$1 module=$2 params=$3 probe=$4 rc=0 k mtu="?" t0
	PM_ANSWERED="?"
	pm_net_up && {
		local KAM_NETNS=$PM_B
		start_kamailio S stall-peer.cfg SCTP_MODULE="$OUR_MODULE" LISTEN=sctp:198.18.11.2:5060 DEFINES="" \
			SCTP_PARAMS="" && wait_ready S sctp:5060
	} && {
		local KAM_NETNS=$PM_A
		start_kamailio K mh-proxy.cfg SCTP_MODULE="$module" DEBUG=2 LISTEN_UDP=udp:127.0.0.1:5070 \
			LISTEN_SCTP=sctp:198.18.10.1:5060 NEXT_HOST=198.18.11.2 NEXT_PORT=5060 PLAIN_HOST=198.18.11.2 PLAIN_PORT=0 \
			SCTP_PARAMS="$params" && wait_ready K udp:5070 sctp:5060
	} || { stop_all; pm_net_down; return 1; }
	ip netns exec "$PM_A" python3 "$E2E_DIR/udp_big.py" --port 5070 --count 1 --body 100 --timeout 10 \
		sip:s@198.18.11.2 >"$SC_DIR/small-$label.log" 2>&1
	indent <"$SC_DIR/small-$label.log"
	last_result "$SC_DIR/small-$label.log"
	expect "$label: small OPTIONS answered (the association is up)" "$(result_field answered)" 1 || rc=1
	if [ "$probe" = 1 ]; then
		t0=$(now)
		for ((k = 0; k < 200; k++)); do
			mtu=$(pm_mtu)
			[[ $mtu =~ ^[0-9]+$ ]] && [ "$mtu" -le 1280 ] && break
			sleep 1
		done
		say "$label: path MTU $mtu after $(elapsed "$t0") s of probing"
		[[ $mtu =~ ^[0-9]+$ ]] && [ "$mtu" -le 1280 ] || { say "ERROR: $label: the probe did not settle"; rc=1; }
	else
		say "$label: path MTU $(pm_mtu) (not probed)"
	fi
	ip netns exec "$PM_A" python3 "$E2E_DIR/udp_big.py" --port 5070 --count "$PM_BIG" --body 4000 --timeout 10 \
		sip:s@198.18.11.2 >"$SC_DIR/big-$label.log" 2>&1
	indent <"$SC_DIR/big-$label.log"
	last_result "$SC_DIR/big-$label.log"
	PM_ANSWERED=$(result_field answered)
	check_alive K && check_alive S || rc=1
	stop_all
	pm_net_down
	return $rc
}

sc_plpmtud_ours() {
	local rc=0
	plpmtud_run no-probe "$OUR_MODULE" 'modparam("sctp", "sctp_peer", "198.18.11.2:5060")' 0 || rc=1
	expect "without probing: big requests answered (of $PM_BIG; the association stalls)" "$PM_ANSWERED" 0 || rc=1
	plpmtud_run probe "$OUR_MODULE" 'modparam("sctp", "sctp_peer", "198.18.11.2:5060;plpmtud=5000")' 1 || rc=1
	expect "with plpmtud=5000: big requests answered (of $PM_BIG)" "$PM_ANSWERED" "$PM_BIG" || rc=1
	return $rc
}

# the C module cannot probe: its association stalls
sc_plpmtud_c() {
	plpmtud_run c "$C_MODULE" "" 0 || return 1
	expect "C module: big requests answered (of $PM_BIG; the association stalls)" "$PM_ANSWERED" 0
}
