# shellcheck shell=bash disable=SC2034
# Visibility scenarios (bash, sourced by suite.sh): the RPC commands that
# show and steer single associations (sctp.assoc_list, sctp.assoc_info,
# sctp.set_primary). Ours only: the C module has none of them.

SCENARIOS+=" assoc-view-ours"

# path_table: one line "ADDRESS STATE PRIMARY SRTT RTO CWND MTU" per path
# in RPC_OUT (kamcmd prints each path as a "path:" structure, mtu last).
path_table() {
	printf '%s\n' "$RPC_OUT" | awk '
		{ sub(/^[ \t]+/, "") }
		/^path:/ { inpath = 1; next }
		inpath && /^[a-z]+:/ { k = $1; sub(/:$/, "", k); v[k] = $2 }
		inpath && /^mtu:/ {
			print v["address"], v["state"], v["primary"], v["srtt"], v["rto"], v["cwnd"], v["mtu"]
			inpath = 0
		}'
}

# primary_of: the address of the path flagged primary in RPC_OUT ("none" or
# "several" otherwise).
primary_of() {
	path_table | awk '$3 == 1 { n++; a = $1 } END { print (n == 1 ? a : (n ? "several" : "none")) }'
}

# assoc-view: a multihomed peer (sctp_client.py bound to 127.0.0.3 and
# 127.0.0.4) holds one association with Kamailio (our module, tracking on).
# sctp.assoc_list and sctp.assoc_info show it as it is: ESTABLISHED, on
# socket sctp:127.0.0.1:5060, the streams the peer's COMM_UP reports (the
# other way round), both peer addresses with the peer's port, ACTIVE, exactly
# one primary, plausible path figures (the second path turns from
# UNCONFIRMED to ACTIVE once the kernel's heartbeat confirms it); an unknown connection id and a
# foreign address are errors that say so; sctp.set_primary moves the primary
# flag to the other address; once the peer has gone the list is empty.
sc_assoc_view_ours() {
	local bad=0 port conn streams peer_out peer_in paths primary other want addr srtt rto cwnd mtu
	start_rpc_uas k "$OUR_MODULE" 5060 || return 1
	start_client peer --bind 127.0.0.3,127.0.0.4 --requests 1 --timeout 5 --hold 60 \
		--ready "$SC_DIR/peer.ready" 127.0.0.1:5060
	wait_file "$SC_DIR/peer.ready" 30 || { say "ERROR: the peer got no reply"; indent <"$SC_DIR/client-peer.log"; return 1; }
	port=$(sed -n 's/.*socket bound to local port \([0-9]*\).*/\1/p' "$SC_DIR/client-peer.log")
	# the peer's COMM_UP: "streams OUT/IN", its outbound streams are our inbound
	streams=$(sed -n 's/.*COMM_UP.*streams \([0-9]*\/[0-9]*\)).*/\1/p' "$SC_DIR/client-peer.log" | head -n 1)
	peer_out=${streams%/*} peer_in=${streams#*/}
	say "peer: port $port, its streams out/in $streams"

	say "--- sctp.assoc_list"
	# The peer's second address starts UNCONFIRMED; the kernel's heartbeat
	# confirms it within an RTO (3 s at first): the list shows it change.
	local deadline=$((SECONDS + 10))
	while kam_rpc k sctp.assoc_list >/dev/null && [ "$(path_table | grep -c ' ACTIVE ')" != 2 ]; do
		[ $SECONDS -lt $deadline ] || break
		say "paths now: $(path_table | awk '{ print $1, $2 }' | tr '\n' ' ')"
		sleep 0.5
	done
	kam_rpc k sctp.assoc_list || bad=1
	expect "associations listed" "$(printf '%s\n' "$RPC_OUT" | grep -c 'assoc_id:')" 1 || bad=1
	conn=$(rpc_field conn_id)
	[[ $conn =~ ^[1-9][0-9]*$ ]] && say "ok: conn_id = $conn" || { say "ERROR: conn_id = $conn, expected >= 1"; bad=1; }
	expect "socket" "$(rpc_field socket)" "sctp:127.0.0.1:5060" || bad=1
	expect "state" "$(rpc_field state)" ESTABLISHED || bad=1
	expect "instreams (the peer's outbound streams)" "$(rpc_field instreams)" "$peer_out" || bad=1
	expect "outstreams (the peer's inbound streams)" "$(rpc_field outstreams)" "$peer_in" || bad=1
	expect "unacked, pending (idle)" "$(rpc_field unacked) $(rpc_field pending)" "0 0" || bad=1
	[[ $(rpc_field rwnd) =~ ^[1-9][0-9]*$ ]] && say "ok: rwnd > 0" || { say "ERROR: rwnd = $(rpc_field rwnd)"; bad=1; }
	[[ $(rpc_field retransmissions) =~ ^[0-9]+$ ]] && say "ok: retransmissions counted" ||
		{ say "ERROR: retransmissions = $(rpc_field retransmissions), expected a count (the VM kernel has SCTP_GET_ASSOC_STATS)"; bad=1; }
	# the peer sent a request and SACKed its answer: the kernel's counters
	# show both ways; no path is probed for its MTU (plpmtud 0)
	local f v counters="" zero=""
	for f in data_in data_out sacks_in packets_in packets_out; do
		v=$(rpc_field "$f")
		counters+=" $f=$v"
		[[ $v =~ ^[1-9][0-9]*$ ]] || zero+=" $f"
	done
	if [ -z "$zero" ]; then
		say "ok: counters$counters"
	else
		say "ERROR: counters$counters: expected a count above 0 for$zero"
		bad=1
	fi
	expect "paths with plpmtud 0 (not probed)" "$(printf '%s\n' "$RPC_OUT" | grep -c 'plpmtud:[[:space:]]*0$')" 2 || bad=1
	paths=$(path_table | awk '{ print $1, $2 }' | sort | tr '\n' ' ')
	expect "paths (address state)" "$paths" "127.0.0.3:$port ACTIVE 127.0.0.4:$port ACTIVE " || bad=1
	while read -r addr _ _ srtt rto cwnd mtu; do
		# a real path has an RTO, a window and an MTU
		if [ "$rto" -gt 0 ] && [ "$cwnd" -gt 0 ] && [ "$mtu" -gt 0 ]; then
			say "ok: path $addr rto $rto cwnd $cwnd mtu $mtu srtt $srtt"
		else
			say "ERROR: path $addr figures rto $rto cwnd $cwnd mtu $mtu"
			bad=1
		fi
	done <<<"$(path_table)"
	primary=$(primary_of)
	case $primary in
	"127.0.0.3:$port") other=127.0.0.4 ;;
	"127.0.0.4:$port") other=127.0.0.3 ;;
	*) say "ERROR: primary path $primary, expected one of the two"; other=127.0.0.4; bad=1 ;;
	esac
	say "primary path now $primary"

	say "--- sctp.assoc_info $conn, an unknown id, and set_primary"
	kam_rpc k sctp.assoc_info "$conn" || bad=1
	expect "assoc_info: conn_id, state, paths" \
		"$(rpc_field conn_id) $(rpc_field state) $(path_table | wc -l)" "$conn ESTABLISHED 2" || bad=1
	if kam_rpc k sctp.assoc_info 99999; then
		say "ERROR: sctp.assoc_info 99999 succeeded"
		bad=1
	fi
	printf '%s\n' "$RPC_OUT" | grep -q 'unknown connection id 99999' && say "ok: the error names the unknown id" ||
		{ say "ERROR: no 'unknown connection id 99999' in the answer"; bad=1; }
	if kam_rpc k sctp.set_primary "$conn" 127.0.0.9; then
		say "ERROR: set_primary to a foreign address succeeded"
		bad=1
	fi
	printf '%s\n' "$RPC_OUT" | grep -q '127.0.0.9 is not a peer address' && say "ok: the error names the address" ||
		{ say "ERROR: no '127.0.0.9 is not a peer address' in the answer"; bad=1; }
	kam_rpc k sctp.set_primary "$conn" "$other" || bad=1
	kam_rpc k sctp.assoc_info "$conn" || bad=1
	expect "primary path after set_primary" "$(primary_of)" "$other:$port" || bad=1
	want=$(path_table | wc -l)
	expect "paths still shown" "$want" 2 || bad=1

	say "--- the peer leaves: nothing left to list"
	kill -TERM "${CLIENT_PID[peer]}" 2>/dev/null
	wait_client peer >/dev/null || true
	deadline=$((SECONDS + 10))
	while kam_rpc k sctp.assoc_list >/dev/null && printf '%s\n' "$RPC_OUT" | grep -q 'assoc_id:'; do
		[ $SECONDS -lt $deadline ] || break
		sleep 0.3
	done
	kam_rpc k sctp.assoc_list || bad=1
	expect "associations listed after the peer closed" "$(printf '%s\n' "$RPC_OUT" | grep -c 'assoc_id:')" 0 || bad=1
	check_alive k || bad=1
	[ $bad = 0 ]
}
