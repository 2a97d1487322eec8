# shellcheck shell=bash disable=SC2034
# The event route scenario (bash, sourced by scenarios.sh). Ours only: the C
# module runs no event routes.

SCENARIOS+=" events-ours"

# evt_lines KIND: the "EVT KIND ..." lines of the Kamailio log, from KIND on.
evt_lines() {
	grep -o "EVT $1 .*" "${KAM_LOG[ev]}" | cut -c 5-
}

# expect_evt KIND COUNT PATTERN: exactly COUNT "EVT KIND" lines, each
# matching the extended regexp PATTERN.
expect_evt() {
	local n bad
	n=$(evt_lines "$1" | wc -l)
	bad=$(evt_lines "$1" | grep -E -v -c -- "$3")
	if [ "$n" != "$2" ] || [ "$bad" != 0 ]; then
		say "ERROR: want $2 event_route[sctp:$1] runs matching '$3', got $n ($bad not matching)"
		return 1
	fi
}

# Kamailio (configs/events.cfg) with the four event routes logging what they
# see. Peer 1 (127.0.0.1 and 127.0.0.2, port 6001) sends an OPTIONS, waits
# until its second address is confirmed (a path-change), and shuts down; peer
# 2 (127.0.0.1:6002) sends an OPTIONS that Kamailio also forwards to a port
# nobody listens on (the send fails), and aborts. Each route must have run
# once per event with the peer in $si:$sp and the association's connection
# id, and assoc-down must have marked both peers inactive in dispatcher.
sc_events_ours() {
	local dir=$SC_DIR/ev up1 up2 bad=0
	mkdir -p "$dir"
	printf '%s\n' "1 sip:127.0.0.1:6001;transport=sctp" "1 sip:127.0.0.1:6002;transport=sctp" \
		"1 sip:127.0.0.1:6009;transport=sctp" >"$dir/dispatcher.list"
	start_kamailio ev events.cfg SCTP_MODULE="$OUR_MODULE" && wait_ready ev sctp:5060 || return 1

	say "run: sctp_events_peer.py --bind 127.0.0.1,127.0.0.2:6001 --until $SC_DIR/close1 127.0.0.1:5060"
	timeout -k 5 60 python3 "$E2E_DIR/sctp_events_peer.py" --bind 127.0.0.1,127.0.0.2:6001 \
		--until "$SC_DIR/close1" 127.0.0.1:5060 >"$SC_DIR/peer1.log" 2>&1 &
	local p1=$! t0
	t0=$(now)
	local deadline=$((SECONDS + 15))
	until [ -n "$(evt_lines path-change)" ] || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
	say "path-change seen $(elapsed "$t0") s after peer 1 started; closing peer 1"
	: >"$SC_DIR/close1"
	wait "$p1" || bad=1
	indent <"$SC_DIR/peer1.log"
	say "run: sctp_events_peer.py --bind 127.0.0.1:6002 --user dead --abort 127.0.0.1:5060"
	timeout -k 5 60 python3 "$E2E_DIR/sctp_events_peer.py" --bind 127.0.0.1:6002 --user dead --abort \
		127.0.0.1:5060 >"$SC_DIR/peer2.log" 2>&1 || bad=1
	indent <"$SC_DIR/peer2.log"
	# the last events (assoc-down of peer 2, send-failed) may still be on their way
	deadline=$((SECONDS + 10))
	t0=$(now)
	until [ "$(evt_lines assoc-down | wc -l)" -ge 2 ] && [ -n "$(evt_lines send-failed)" ] ||
		[ $SECONDS -ge $deadline ]; do sleep 0.2; done
	say "waited $(elapsed "$t0") s for the last events after peer 2 ended"
	sleep 1
	check_alive ev || return 1
	say "event route lines:"
	grep -o 'EVT .*' "${KAM_LOG[ev]}" | indent
	[ $bad = 0 ] || say "ERROR: a peer got no 200 to its OPTIONS"

	up1=$(evt_lines assoc-up | sed -n 's/.* sp=6001 conid=\([0-9]*\) .*/\1/p')
	up2=$(evt_lines assoc-up | sed -n 's/.* sp=6002 conid=\([0-9]*\) .*/\1/p')
	if [ -z "$up1" ] || [ -z "$up2" ] || [ "$up1" -lt 1 ] || [ "$up1" = "$up2" ]; then
		say "ERROR: assoc-up connection ids '$up1' (peer 1) and '$up2' (peer 2): want two different ids, 1 or more"
		bad=1
		up1=x up2=y
	fi
	expect_evt assoc-up 2 "^assoc-up si=127\.0\.0\.1 (sp=6001 conid=$up1|sp=6002 conid=$up2) state=COMM_UP proto=sctp$" || bad=1
	expect_evt path-change 1 \
		"^path-change si=127\.0\.0\.1 sp=6001 conid=$up1 path=127\.0\.0\.2 state=ADDR_CONFIRMED$" || bad=1
	expect_evt assoc-down 2 \
		"^assoc-down si=127\.0\.0\.1 (sp=6001 conid=$up1 state=SHUTDOWN_COMP|sp=6002 conid=$up2 state=COMM_LOST)$" || bad=1
	# never associated, so never tracked: id 0
	expect_evt send-failed 1 "^send-failed si=127\.0\.0\.1 sp=5999 conid=0 error=[0-9]+$" || bad=1
	expect_evt ds-mark 2 "^ds-mark sip:127\.0\.0\.1:600[12] code=200$" || bad=1

	kam_rpc ev dispatcher.list >/dev/null || return 1
	local flags
	flags=$(printf '%s\n' "$RPC_OUT" | awk '/URI:/ { u = $2 } /FLAGS:/ { print u, $2 }' | sort | tr '\n' ' ')
	say "dispatcher destinations and flags: $flags"
	if [ "$flags" != "sip:127.0.0.1:6001;transport=sctp IP sip:127.0.0.1:6002;transport=sctp IP sip:127.0.0.1:6009;transport=sctp AX " ]; then
		say "ERROR: want 6001 and 6002 marked IP (inactive, probing) by assoc-down, 6009 untouched (AX)"
		bad=1
	fi
	[ $bad = 0 ] && say "each event route ran once per event, with the peer in \$si:\$sp and its connection id"
}
