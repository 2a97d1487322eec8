# shellcheck shell=bash disable=SC2034
# The cut-message scenarios (bash, sourced by scenarios.sh): a peer stopped in
# the middle of a message, which the kernel has begun to hand over in pieces
# (partial delivery), must not hold up the other peers; and the messages of
# many associations cut at once must all be put back together. Kamailio runs
# configs/fault-uas.cfg (faults.sh's start_fault_uas).

SCENARIOS+=" cut-stall-ours cut-stall-c cut-idle-ours cut-many-ours"
HOST_ONLY[cut-stall-ours]="30 s; the store of cut messages and the kernel's partial delivery are the module's and the kernel's, the same on every release (cut-many-ours and partial-delivery-ours hand reassembled messages to every core)"
HOST_ONLY[cut-stall-c]="the control shows the kernel's freeze: the same VM kernel on every release"

# ---------------------------------------------------------------------------
# cut-stall: peer X (sctp_client.py, bound to 127.0.0.5) sends one big
# message in DATA chunks of STALL_MAXSEG bytes, a chunk a packet (its path MTU
# is STALL_MTU), and tc drops every packet of X's that carries the last chunk
# of a message (DATA with the E bit, the first chunk of the packet): X's
# kernel retransmits it for minutes, and the message never ends. Kamailio has
# begun to hand it over in pieces. Meanwhile sipp (127.0.0.1) makes
# STALL_CALLS calls at STALL_RATE/s.
#
# Ours, two rounds: a STALL_BIG-byte message at the kernel's own partial
# delivery point (its link dies past the SIP maximum: aborted at once), and
# with SCTP_PARTIAL_DELIVERY_POINT 1 (pd_point.so) a STALL_SMALL-byte one (it
# never ends: aborted after sctp_cut_timeout). Each: at least STALL_MIN_OK of
# the calls answered within STALL_RECV_TIMEOUT (less than the bound: not held
# back until X's abort), X's association aborted (X sees it) within the bound,
# cut_aborted counts it, event_route[sctp:assoc-down] ran once for X
# (COMM_LOST), no piece of X's reached the routing script.
# The C module is the control, first round only: the other peer's calls
# starve (fewer than half answered), which shows the freeze happens.

STALL_CALLS=${E2E_STALL_CALLS:-500}
STALL_RATE=50
STALL_MIN_OK=$((STALL_CALLS * 99 / 100))
STALL_BIG=150000
STALL_SMALL=20000
STALL_MAXSEG=1000
STALL_MTU=1200
STALL_PEER=127.0.0.5
# sipp gives a call up after this: well under sctp_cut_timeout (5 s), so that
# calls held back until X's association is aborted fail
STALL_RECV_TIMEOUT=2

# drop_message_ends ADDR: tc drops ADDR's SCTP packets whose first chunk is
# DATA with the E bit (IPv4 header of 20 bytes, SCTP common header of 12: the
# chunk's type at byte 32, its flags at 33). Loopback's GSO limit goes down to
# X's path MTU, else the kernel hands lo one GSO packet of several chunks,
# whose first is all tc sees. undo_drop_message_ends undoes both (and a
# failed drop_message_ends, which says so, undoes what it did).
LO_GSO_MAX=
drop_message_ends() {
	LO_GSO_MAX=$(ip -d link show dev lo | sed -n 's/.* gso_max_size \([0-9]*\) .*/\1/p')
	ip link set dev lo gso_max_size "$STALL_MTU" &&
		tc qdisc add dev lo root handle 1: prio &&
		tc filter add dev lo parent 1: protocol ip prio 1 u32 \
			match ip src "$1"/32 match ip protocol 132 0xff \
			match u8 0x00 0xff at 32 match u8 0x01 0x01 at 33 action drop && return 0
	say "ERROR: tc cannot drop $1's message ends (sch_prio, cls_u32, act_gact in the VM?)"
	undo_drop_message_ends
	return 1
}
undo_drop_message_ends() {
	tc qdisc del dev lo root 2>/dev/null
	ip link set dev lo gso_max_size "${LO_GSO_MAX:-65536}"
}

# stall_round NAME MODULE OURS SIZE SHIM BOUND_S WHY: one round (see above);
# BOUND_S: how soon X must see its association aborted; WHY: what the log
# line naming X must say of the cut message.
stall_round() {
	local name=$1 module=$2 ours=$3 size=$4 shim=$5 bound=$6 why=$7 bad=0 after aborted v
	local defines=
	[ "$ours" = 1 ] && defines='#!define DOWN_ROUTE'
	if [ "$shim" = 1 ]; then
		KAM_ENV="LD_PRELOAD=$E2E_PD_SHIM PD_POINT=1" FAULT_DEFINES=$defines start_fault_uas "$name" "$module" 4 1 ||
			return 1
	else
		FAULT_DEFINES=$defines start_fault_uas "$name" "$module" 4 1 || return 1
	fi
	drop_message_ends "$STALL_PEER" || return 1
	start_client "x-$name" --bind "$STALL_PEER" --mtu "$STALL_MTU" --maxseg "$STALL_MAXSEG" \
		--oversize "$size" --requests 0 --expect-abort 20 127.0.0.1:5060
	# the start of X's message is in, and handed over in pieces
	sleep 1
	sipp_counts "load-$name" 60 -sn uac -m "$STALL_CALLS" -r "$STALL_RATE" -l "$STALL_CALLS" \
		-p "$SIPP_PORT" -t s1 -i 127.0.0.1 127.0.0.1:5060 -recv_timeout "${STALL_RECV_TIMEOUT}s"
	undo_drop_message_ends
	wait_client "x-$name" || true
	after=$(result_field aborted_after)
	say "sipp[load-$name]: $SIPP_OK of $STALL_CALLS calls answered while X's message was stuck"
	check_alive "$name" || bad=1
	say "log lines about cut messages:"
	grep -E -i 'cut message|partial' "${KAM_LOG[$name]}" | cut -c 1-300 | head -n 10 | indent
	if [ "$ours" = 0 ]; then
		if [[ $SIPP_OK =~ ^[0-9]+$ ]] && [ "$SIPP_OK" -lt $((STALL_CALLS / 2)) ]; then
			say "ok: with the C module the other peer starved ($SIPP_OK of $STALL_CALLS): the freeze happens"
		else
			say "ERROR: the C module answered $SIPP_OK of $STALL_CALLS: did X's message start a partial delivery?"
			bad=1
		fi
		return $bad
	fi
	if [[ $SIPP_OK =~ ^[0-9]+$ ]] && [ "$SIPP_OK" -ge "$STALL_MIN_OK" ]; then
		say "ok: at least $STALL_MIN_OK of $STALL_CALLS calls answered"
	else
		say "ERROR: fewer than $STALL_MIN_OK of $STALL_CALLS calls answered"
		sipp_explain
		bad=1
	fi
	aborted=$(awk -v t="$after" -v b="$bound" 'BEGIN { print (t >= 0 && t <= b) ? "yes" : "no" }')
	expect "X's association aborted within $bound s (after $after s)" "$aborted" yes || bad=1
	v=$(counter_value "$name" cut_aborted)
	expect "associations aborted for a cut message (cut_aborted)" "$v" 1 || bad=1
	if grep 'e2e-received' "${KAM_LOG[$name]}" | grep -q "from $STALL_PEER:"; then
		say "ERROR: a piece of X's message reached the routing script"
		bad=1
	fi
	v=$(grep -c "e2e-assoc-down peer $STALL_PEER:[0-9]* conid [1-9][0-9]* state COMM_LOST" "${KAM_LOG[$name]}")
	expect "event_route[sctp:assoc-down] runs for X, COMM_LOST" "$v" 1 || bad=1
	if ! log_has "${KAM_LOG[$name]}" "aborted the association of $STALL_PEER:" "$why"; then
		say "ERROR: no log line naming X ($STALL_PEER), its abort and why ('$why')"
		bad=1
	fi
	[ $bad = 0 ]
}

cut_stall() {
	local module=$1 ours=$2 bad=0
	pd_shim_present || return 1
	say "round 1: a $STALL_BIG-byte message whose end never comes"
	stall_round big "$module" "$ours" "$STALL_BIG" 0 4 'grew past the largest SIP message' || bad=1
	[ "$ours" = 1 ] || return $bad
	stop_kamailio big
	say "round 2: a $STALL_SMALL-byte message whose end never comes, partial delivery point 1"
	stall_round small "$module" "$ours" "$STALL_SMALL" 1 8 'did not end within sctp_cut_timeout' || bad=1
	[ $bad = 0 ]
}
sc_cut_stall_ours() { cut_stall "$OUR_MODULE" 1; }
sc_cut_stall_c() { cut_stall "$C_MODULE" 0; }

# ---------------------------------------------------------------------------
# cut-idle: cut-stall's second round with nobody else sending: X's message,
# cut at partial delivery point 1, never ends, and no other message comes to
# wake a receiver. Its association must still be aborted after
# sctp_cut_timeout (within 8 s, X sees it), counted in cut_aborted and logged:
# the receiver that kept its first piece wakes for it, while the others block.
sc_cut_idle_ours() {
	local bad=0 after aborted
	pd_shim_present || return 1
	KAM_ENV="LD_PRELOAD=$E2E_PD_SHIM PD_POINT=1" start_fault_uas idle "$OUR_MODULE" 4 1 || return 1
	drop_message_ends "$STALL_PEER" || return 1
	run_client x-idle --bind "$STALL_PEER" --mtu "$STALL_MTU" --maxseg "$STALL_MAXSEG" \
		--oversize "$STALL_SMALL" --requests 0 --expect-abort 20 127.0.0.1:5060 || true
	undo_drop_message_ends
	after=$(result_field aborted_after)
	aborted=$(awk -v t="$after" 'BEGIN { print (t >= 0 && t <= 8) ? "yes" : "no" }')
	expect "X's association aborted within 8 s with no other traffic (after $after s)" "$aborted" yes || bad=1
	expect "associations aborted for a cut message (cut_aborted)" "$(counter_value idle cut_aborted)" 1 || bad=1
	if ! log_has "${KAM_LOG[idle]}" "aborted the association of $STALL_PEER:" 'did not end within sctp_cut_timeout'; then
		say "ERROR: no log line naming X ($STALL_PEER), its abort and why"
		bad=1
	fi
	check_alive idle || bad=1
	[ $bad = 0 ]
}

# ---------------------------------------------------------------------------
# cut-many: SCTP_PARTIAL_DELIVERY_POINT 1 on the live socket (pd_point.so), 4
# receivers; CUT_ASSOCS associations at once (one sctp_client.py, a socket
# each) send CUT_REQUESTS OPTIONS each, one at a time, with bodies of 1500 to
# 60000 bytes in DATA chunks of 500: every message is handed over in pieces,
# the associations' pieces mixed. Two rounds: 8 and 32 associations. Every
# request must be answered, the routing script must see each once and whole
# (the lengths it logged are exactly those sent), the core must log no parse
# error, and nothing may be dropped (cut_dropped 0) or aborted (cut_aborted 0).

CUT_ROUNDS="8:10 32:4"
# net.sctp.rcvbuf_policy for the test, as the README asks (a receive buffer
# per association); restored afterwards. With 0, the kernel's default, the
# associations share the socket's buffer: when a burst fills it, an
# association whose chunk finds it full gets its window closed (rwnd 0) and
# reopens it only by zero-window probes (seen: one of 32 stuck for 8 s, its
# message aborted after sctp_cut_timeout).
CUT_RCVBUF_POLICY=${E2E_CUT_RCVBUF_POLICY:-1}

cut_many() {
	local module=$1 bad=0 old
	pd_shim_present || return 1
	old=$(sysctl -n net.sctp.rcvbuf_policy) || return 1
	sysctl -qw net.sctp.rcvbuf_policy="$CUT_RCVBUF_POLICY" || return 1
	say "net.sctp.rcvbuf_policy = $CUT_RCVBUF_POLICY (was $old)"
	cut_many_rounds "$module" || bad=1
	sysctl -qw net.sctp.rcvbuf_policy="$old"
	[ $bad = 0 ]
}

cut_many_rounds() {
	local module=$1 bad=0 round assocs requests sent got v before
	KAM_ENV="LD_PRELOAD=$E2E_PD_SHIM PD_POINT=1" start_fault_uas k "$module" 4 1 || return 1
	for round in $CUT_ROUNDS; do
		assocs=${round%%:*} requests=${round#*:}
		say "round: $assocs associations, $requests requests each"
		before=$(grep -c 'e2e-received' "${KAM_LOG[k]}")
		run_client "many$assocs" --assocs "$assocs" --requests "$requests" --body-range 1500:60000 \
			--maxseg 500 --timeout 20 127.0.0.1:5060 || true
		expect "requests answered ($assocs associations)" "$(result_field ok)" $((assocs * requests)) || bad=1
		# the lengths sent, and those of this round that reached the script
		sent=$(sed -n 's/.*: sent OPTIONS #.*(\([0-9]*\) bytes)$/\1/p' "$SC_DIR/client-many$assocs.log" |
			sort -n | tr '\n' ' ')
		got=$(grep 'e2e-received' "${KAM_LOG[k]}" | tail -n +$((before + 1)) |
			sed -n 's/.*e2e-received request OPTIONS length \([0-9]*\) from.*/\1/p' | sort -n | tr '\n' ' ')
		say "lengths sent: $(wc -w <<<"$sent"), from $(echo "$sent" | cut -d' ' -f1) to $(echo "$sent" | awk '{ print $NF }') bytes"
		expect "lengths that reached the routing script are those sent ($assocs associations)" \
			"$got" "$sent" || bad=1
	done
	check_alive k || bad=1
	only_these_reached k 'e2e-received request OPTIONS length ' || bad=1
	say "log lines about cut messages:"
	grep -E -i 'cut message|partial' "${KAM_LOG[k]}" | cut -c 1-300 | head -n 10 | indent
	v=$(counter_value k cut_dropped)
	expect "pieces dropped (cut_dropped)" "$v" 0 || bad=1
	v=$(counter_value k cut_aborted)
	expect "associations aborted (cut_aborted)" "$v" 0 || bad=1
	expect_counter_at_least k cut_reassembled 40 || bad=1
	[ $bad = 0 ]
}
sc_cut_many_ours() { cut_many "$OUR_MODULE"; }
