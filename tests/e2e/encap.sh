# shellcheck shell=bash disable=SC2034
# SCTP over UDP (RFC 6951; README "SCTP over UDP"), bash, sourced by
# scenarios.sh. Network namespaces on 198.18.0.0/15, as multihome.sh's, plus
# a third one, C, reached from A over a link of its own:
#
#   A: mha1 198.18.1.1 ---- path 1 ---- mhb1 198.18.1.2 :B (multihomed)
#      mha2 198.18.2.1 ---- path 2 ---- mhb2 198.18.2.2
#      mha3 198.18.3.1 ---- link ------ mhc3 198.18.3.2 :C
#
# What went on the wire is read from a capture in A (tcpdump on every
# interface): SCTP packets (IP protocol 132) and UDP packets of port 9899.

SCENARIOS+=" encap-ours encap-c encap-usrsctp encap-bad"
HOST_ONLY[encap-c]="the control of encap-ours (the C module has no such setting on any release)"
HOST_ONLY[encap-bad]="the checks are the module's own, before the core is asked anything"
HOST_ONLY[encap-usrsctp]="the answer to an encapsulated INIT is the kernel's (encap-ours covers the module's part on every release)"

ENCAP_PORT=9899
ENCAP_CALLS=${E2E_ENCAP_CALLS:-1000}
# C's Kamailio: reached from A's socket (bound to A's path addresses) over
# the third link; C answers A's addresses through A's end of it
EN_C_LISTEN=sctp:198.18.3.2:5060

# encap_net_up: multihome.sh's two namespaces and paths, and namespace C
# (EN_C) linked to A.
encap_net_up() {
	EN_C=kse2e-enc-$$
	mh_net_up || return 1
	ip netns del "$EN_C" 2>/dev/null
	ip netns add "$EN_C" &&
		ip -n "$MH_A" link add mha3 type veth peer name mhc3 netns "$EN_C" &&
		ip -n "$MH_A" addr add 198.18.3.1/24 dev mha3 && ip -n "$EN_C" addr add 198.18.3.2/24 dev mhc3 &&
		ip -n "$MH_A" link set mha3 up && ip -n "$EN_C" link set mhc3 up && ip -n "$EN_C" link set lo up &&
		ip -n "$EN_C" route add default via 198.18.3.1 ||
		{ say "ERROR: cannot set up namespace $EN_C"; return 1; }
	say "namespace $EN_C (198.18.3.2), linked to $MH_A (198.18.3.1)"
}

encap_net_down() {
	[ -z "${EN_C:-}" ] || ip netns del "$EN_C" 2>/dev/null
	mh_net_down
}

# capture_start NAME: tcpdump in A's namespace, every interface, SCTP and
# UDP port 9899 packets, into $SC_DIR/NAME.pcap; waits until it listens.
capture_start() {
	CAP_FILE=$SC_DIR/$1.pcap
	ip netns exec "$MH_A" tcpdump -Z root -U -n -i any -w "$CAP_FILE" \
		"ip proto 132 or udp port $ENCAP_PORT" 2>"$SC_DIR/$1.tcpdump.log" &
	CAP_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "listening on" "$SC_DIR/$1.tcpdump.log" 2>/dev/null && return 0
		sleep 0.1
	done
	say "ERROR: tcpdump did not start:"
	indent <"$SC_DIR/$1.tcpdump.log"
	return 1
}

capture_stop() {
	sleep 0.5
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	say "capture $CAP_FILE: $(tail -n 3 "${CAP_FILE%.pcap}.tcpdump.log" | tr '\n' ' ')"
}

# packets FILTER: how many captured packets match the tcpdump FILTER.
packets() {
	tcpdump -n -r "$CAP_FILE" "$1" 2>/dev/null | wc -l
}

# expect_packets WHAT FILTER OP N: the count of FILTER is OP N (eq, gt).
expect_packets() {
	local n
	n=$(packets "$2")
	if [ "$n" "-$3" "$4" ]; then
		say "ok: $1: $n packets ($2)"
	else
		say "ERROR: $1: $n packets ($2), expected -$3 $4; the first ones:"
		tcpdump -n -r "$CAP_FILE" "$2" 2>/dev/null | head -n 5 | indent
		return 1
	fi
}

# path_encaps NAME: "ADDRESS=ENCAP ..." of every path in NAME's
# sctp.assoc_list, sorted.
path_encaps() {
	kam_rpc "$1" sctp.assoc_list >&2 || return 1
	printf '%s\n' "$RPC_OUT" | awk '$1 == "address:" { a = $2 } $1 == "encap:" { print a "=" $2 }' | sort | tr '\n' ' '
}

# B's addresses, as tcpdump filters
B_HOSTS="host 198.18.1.2 or host 198.18.2.2"
B_SRC="src host 198.18.1.2 or src host 198.18.2.2"

# encap-ours: A (ours) forwards sipp's calls to B, a multihomed peer
# declared with ;encap=9899, and to C, a peer that did not ask for it. B
# and A only set sctp_udp_port: B answers A's encapsulated INIT the same
# way. Every SCTP packet between A and B must be in UDP, the handshake
# included, both ways, and on both paths (path 1 goes down for the last
# calls); C's stay plain SCTP.
sc_encap_ours() {
	local rc=0 encaps
	encap_net_up && mh_start_b udp_port=$ENCAP_PORT || { encap_net_down; return 1; }
	KAM_NETNS=$EN_C start_kamailio C mh-uas.cfg SCTP_MODULE="$OUR_MODULE" DEBUG=2 LISTEN=$EN_C_LISTEN SCTP_PARAMS= &&
		KAM_NETNS=$EN_C wait_ready C sctp:5060 && capture_start a &&
		MH_PLAIN_HOST=198.18.3.2 MH_PLAIN_PORT=5060 mh_start_a "$OUR_MODULE" mh-proxy.cfg \
			"$(sctp_params udp_port=$ENCAP_PORT)
modparam(\"sctp\", \"sctp_peer\", \"198.18.1.2,198.18.2.2:5060;encap=$ENCAP_PORT;pathpfthld=0;srto_min=100;srto_max=200;srto_initial=200\")" \
			LISTEN_UDP=udp:127.0.0.1:5070 NEXT_HOST=198.18.1.2 NEXT_PORT=5060 ||
		{ encap_net_down; return 1; }
	SIPP_NETNS=$MH_A sipp_counts to-b 120 -sn uac -m "$ENCAP_CALLS" -r 100 -l 200 -p "$SIPP_PORT" -t u1 \
		-i 127.0.0.1 -recv_timeout 8s 127.0.0.1:5070
	expect "calls to B (encapsulated)" "$SIPP_OK" "$ENCAP_CALLS" || { sipp_explain; rc=1; }
	SIPP_NETNS=$MH_A sipp_counts to-c 60 -sn uac -s plain -m 100 -r 50 -l 100 -p "$SIPP_PORT" -t u1 \
		-i 127.0.0.1 -recv_timeout 8s 127.0.0.1:5070
	expect "calls to C (plain)" "$SIPP_OK" 100 || { sipp_explain; rc=1; }
	encaps=$(path_encaps A)
	expect "A's paths and their encapsulation ports" "$encaps" \
		"198.18.1.2:5060=$ENCAP_PORT 198.18.2.2:5060=$ENCAP_PORT 198.18.3.2:5060=0 " || rc=1
	# B learnt A's port from A's packets (RFC 6951 5.4): A's own udp_port
	encaps=$(path_encaps B)
	expect "B's paths and their encapsulation ports" "$encaps" \
		"198.18.1.1:5060=$ENCAP_PORT 198.18.2.1:5060=$ENCAP_PORT " || rc=1
	mh_path_down 1
	SIPP_NETNS=$MH_A sipp_counts path-2 60 -sn uac -m 200 -r 50 -l 200 -p "$SIPP_PORT" -t u1 \
		-i 127.0.0.1 -recv_timeout 8s 127.0.0.1:5070
	expect "calls to B with path 1 down" "$SIPP_OK" 200 || { sipp_explain; rc=1; }
	check_alive A && check_alive B && check_alive C || rc=1
	capture_stop
	expect_packets "plain SCTP between A and B" "ip proto 132 and ($B_HOSTS)" eq 0 || rc=1
	expect_packets "SCTP over UDP between A and B" "udp port $ENCAP_PORT and ($B_HOSTS)" gt $((ENCAP_CALLS * 3)) || rc=1
	expect_packets "... of them from B" "udp port $ENCAP_PORT and ($B_SRC)" gt "$ENCAP_CALLS" || rc=1
	expect_packets "... of them on path 2" "udp port $ENCAP_PORT and host 198.18.2.2" gt 200 || rc=1
	expect_packets "plain SCTP with C" "ip proto 132 and host 198.18.3.2" gt 300 || rc=1
	expect_packets "SCTP over UDP with C" "udp port $ENCAP_PORT and host 198.18.3.2" eq 0 || rc=1
	kam_rpc A sctp.options
	expect "sctp.options sctp_encap_port" "$(rpc_field sctp_encap_port)" 0 &&
		expect "sctp.options sctp_udp_port" "$(rpc_field sctp_udp_port)" "$ENCAP_PORT" || rc=1
	stop_all
	encap_net_down
	return $rc
}

# encap-c, the control: the same calls with the C module in A (it has no
# setting for SCTP over UDP): its packets to B are plain SCTP, which is what
# a network that does not carry IP protocol 132 drops.
sc_encap_c() {
	local rc=0
	encap_net_up && mh_start_b udp_port=$ENCAP_PORT && capture_start a &&
		mh_start_a "$C_MODULE" mh-proxy.cfg "" LISTEN_UDP=udp:127.0.0.1:5070 NEXT_HOST=198.18.1.2 NEXT_PORT=5060 ||
		{ encap_net_down; return 1; }
	SIPP_NETNS=$MH_A sipp_counts to-b 60 -sn uac -m 100 -r 50 -l 100 -p "$SIPP_PORT" -t u1 \
		-i 127.0.0.1 -recv_timeout 8s 127.0.0.1:5070
	expect "calls to B" "$SIPP_OK" 100 || { sipp_explain; rc=1; }
	capture_stop
	expect_packets "plain SCTP between A and B" "ip proto 132 and ($B_HOSTS)" gt 300 || rc=1
	expect_packets "SCTP over UDP between A and B" "udp port $ENCAP_PORT and ($B_HOSTS)" eq 0 || rc=1
	stop_all
	encap_net_down
	return $rc
}

# encap-usrsctp: a second SCTP stack, usrsctp (in user space, SCTP over UDP
# only), in A's namespace opens an association to B (ours, sctp_udp_port
# only) from UDP port 9900 and sends one request; B must answer it over
# UDP, to port 9900, the port it learnt from the peer's packets. usrsctp's
# http_client sends "GET URI HTTP/1.0..." as one message: the URI carries
# the rest of a SIP request line and its headers.
USRSCTP_DIR=/usr/lib/usrsctp
sc_encap_usrsctp() {
	local rc=0 req out
	[ -x "$USRSCTP_DIR/http_client" ] ||
		{ say "ERROR: $USRSCTP_DIR/http_client missing (libusrsctp-examples, tests/e2e/install-deps.sh)"; return 1; }
	encap_net_up && mh_start_b udp_port=$ENCAP_PORT && capture_start a || { encap_net_down; return 1; }
	req=$'sip:ping@198.18.1.2 SIP/2.0\r\nVia: SIP/2.0/SCTP 198.18.1.1;rport;branch=z9hG4bK-usrsctp\r\n'
	req+=$'From: <sip:usrsctp@198.18.1.1>;tag=u1\r\nTo: <sip:ping@198.18.1.2>\r\nCall-ID: usrsctp-1\r\n'
	req+=$'CSeq: 1 GET\r\nMax-Forwards: 70\r\nContent-Length: 0\r\nX-Pad:'
	say "usrsctp http_client from UDP port 9900 to 198.18.1.2 SCTP port 5060, UDP port $ENCAP_PORT"
	out=$(ip netns exec "$MH_A" timeout 10 "$USRSCTP_DIR/http_client" 198.18.1.2 5060 0 9900 "$ENCAP_PORT" "$req" 2>&1)
	printf '%s\n' "$out" | head -n 20 | cut -c 1-200 | indent
	case $out in
	*"SIP/2.0 200 OK"*) say "ok: usrsctp got B's 200 OK" ;;
	*) say "ERROR: usrsctp got no 200 OK from B"; rc=1 ;;
	esac
	check_alive B || rc=1
	capture_stop
	expect_packets "plain SCTP" "ip proto 132" eq 0 || rc=1
	expect_packets "SCTP over UDP to B" "udp dst port $ENCAP_PORT and dst host 198.18.1.2" gt 2 || rc=1
	expect_packets "SCTP over UDP from B, to port 9900" "udp src port $ENCAP_PORT and dst port 9900" gt 2 || rc=1
	stop_all
	encap_net_down
	return $rc
}

# encap-bad: each bad setting stops Kamailio with a line naming it; and a
# UDP port another socket holds (in a namespace of its own, so that the
# sysctl of the VM stays as it is).
sc_encap_bad() {
	local rc=0 ns=kse2e-encbad-$$ holder
	bad_modparam port 'modparam("sctp", "sctp_udp_port", 70000)' \
		'invalid value 70000 for modparam("sctp", "sctp_udp_port"): expected a UDP port from 1 to 65535, or 0 (off)' || rc=1
	bad_modparam remote 'modparam("sctp", "sctp_encap_port", 9899)' \
		'invalid value 9899 for modparam("sctp", "sctp_encap_port"): encapsulation needs sctp_udp_port' || rc=1
	bad_modparam peer-value 'modparam("sctp", "sctp_peer", "198.18.1.2:5060;encap=abc")' \
		'for modparam("sctp", "sctp_peer"): setting "encap=abc": expected a remote UDP port from 1 to 65535' || rc=1
	bad_modparam peer-alone 'modparam("sctp", "sctp_peer", "198.18.1.2:5060;encap=9899")' \
		'sctp_peer 198.18.1.2:5060: encap=9899 needs modparam("sctp", "sctp_udp_port", PORT)' || rc=1
	ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	ip netns exec "$ns" python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 9899))
open(sys.argv[1], "w").close(); time.sleep(60)' "$SC_DIR/holding" &
	holder=$!
	# python starts slowly in the emulated VM: Kamailio must come after the bind
	wait_file "$SC_DIR/holding" 30 || { say "ERROR: the UDP socket on 9899 did not come up"; rc=1; }
	BAD_NETNS=$ns bad_modparam taken 'modparam("sctp", "sctp_udp_port", 9899)' \
		'modparam("sctp", "sctp_udp_port", 9899): cannot set net.sctp.udp_port to 9899: the UDP port is taken by another socket' ||
		rc=1
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	ip netns del "$ns"
	return $rc
}
