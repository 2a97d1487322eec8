# shellcheck shell=bash disable=SC2034
# Association health (bash, sourced by scenarios.sh): the stall watchdog
# (sctp_stall_timeout, event_route[sctp:assoc-stalled], assoc_stalled).
#
# Kamailio K (fault-uas.cfg, the module under test) forwards sipp's requests
# to user "stalled" statelessly over SCTP to peer S (stall-peer.cfg, our
# module, one receiver, the smallest receive buffer (4 kB asked, 8 kB
# granted), so that its window closes within a tenth of a second or so once
# it stops reading).

SCENARIOS+=" assoc-stalled-ours assoc-stalled-c slow-peer-ours"
HOST_ONLY[assoc-stalled-c]="the control of assoc-stalled-ours"
HOST_ONLY[slow-peer-ours]="20 s; the stall rule is the module's own logic, the same on every release (assoc-stalled-ours runs the core-facing parts everywhere)"

WATCH_TIMEOUT=2000
WATCH_RATE=${E2E_WATCH_RATE:-100}
STALL_DEFINES=$'#!define STALLED_PEER "sip:127.0.0.1:5070;transport=sctp"\n#!define STALL_ROUTE'

# start_stall_peer [DEFINES]: peer S on sctp:127.0.0.1:5070, ready.
start_stall_peer() {
	start_kamailio S stall-peer.cfg SCTP_MODULE="$OUR_MODULE" LISTEN=sctp:127.0.0.1:5070 DEFINES="${1:-}" \
		SCTP_PARAMS="$(sctp_params socket_rcvbuf=4096)" && wait_ready S sctp:5070
}

# stalled_load_start MODULE DEFINES [NAME=VALUE...]: S, then K (MODULE, the
# fault UAS with DEFINES and these sctp parameters), then sipp X sending
# WATCH_RATE calls/s for S through K in the background.
stalled_load_start() {
	local module=$1 defines=$2
	shift 2
	start_stall_peer && FAULT_DEFINES=$defines start_fault_uas K "$module" 2 1 "$@" || return 1
	sipp_bg x 90 -sn uac -s stalled -r "$WATCH_RATE" -m $((WATCH_RATE * 30)) -l 100000 -p 5093 -t s1 \
		-i 127.0.0.1 127.0.0.1:5060 -recv_timeout 60s
}

# stalled_load_end: sipp X stopped; K and S must still be alive.
stalled_load_end() {
	kill -KILL "${SIPP_BG_PID[x]}" 2>/dev/null
	pkill -KILL -f "sipp -sn uac -s stalled" 2>/dev/null
	wait "${SIPP_BG_PID[x]}" 2>/dev/null
	check_alive K && check_alive S
}

# replies_from_s: how many replies from S reached K's script so far.
replies_from_s() {
	grep -c "e2e-received reply .* from 127.0.0.1:5070" "${KAM_LOG[K]}"
}

# assoc-stalled: S answers, then stops (SIGSTOP to all its processes) while
# sipp keeps sending it WATCH_RATE calls/s through K (sctp_stall_timeout
# 2000, sctp_stall_abort 1). The route must run once, no sooner than the
# timeout after the stop and no later than a second more, with S's address, the association's connection id,
# and assoc_stalled 1; K aborts the association. S then reads again (SIGCONT)
# and answers the next calls over a new association (established + 1).
sc_assoc_stalled_ours() {
	local bad=0 t_stop line t_event ms conid est0 est1 r0 r1 k
	stalled_load_start "$OUR_MODULE" "$STALL_DEFINES" stall_timeout="$WATCH_TIMEOUT" stall_abort=1 || return 1
	sleep 2
	r0=$(replies_from_s)
	say "S answered $r0 requests before it stopped"
	[ "$r0" -gt 0 ] || { say "ERROR: S answered nothing: the setup does not work"; bad=1; }
	est0=$(counter_value K established)
	t_stop=$(now)
	kill -STOP -- "-${KAM_PID[S]}"
	say "peer S (process group ${KAM_PID[S]}) stopped with SIGSTOP at $t_stop"
	for ((k = 0; k < 40; k++)); do
		line=$(grep -m 1 "e2e-stalled" "${KAM_LOG[K]}") && break
		sleep 0.25
	done
	kill -CONT -- "-${KAM_PID[S]}"
	say "peer S reads again (SIGCONT)"
	if [ -z "$line" ]; then
		say "ERROR: event_route[sctp:assoc-stalled] did not run within 10 s of the stop"
		bad=1
	else
		say "route: ${line#*e2e-stalled }"
		read -r t_event _ <<<"${line#*e2e-stalled }"
		ms=$(ms_between "$t_stop" "$t_event")
		if [ "$ms" -ge "$WATCH_TIMEOUT" ] && [ "$ms" -le $((WATCH_TIMEOUT + 1000)) ]; then
			say "ok: the route ran $ms ms after the stop (timeout $WATCH_TIMEOUT ms, plus at most a second)"
		else
			say "ERROR: the route ran $ms ms after the stop, expected $WATCH_TIMEOUT to $((WATCH_TIMEOUT + 1000))"
			bad=1
		fi
		case $line in
		*" peer 127.0.0.1:5070 conid "[1-9]*" state STALLED") say "ok: the route saw S's address, a connection id and STALLED" ;;
		*) say "ERROR: the route's variables are not S's address, a connection id > 0 and STALLED"; bad=1 ;;
		esac
	fi
	if grep -q "stalled: data waits and the peer took none for $WATCH_TIMEOUT ms, aborting it" "${KAM_LOG[K]}"; then
		say "ok: K logged the stall and the abort"
	else
		say "ERROR: no log line of the stall and its abort"
		bad=1
	fi
	# the calls of the next 4 s go to S on a new association
	r1=$(replies_from_s)
	sleep 4
	est1=$(counter_value K established)
	say "S answered $(($(replies_from_s) - r1)) requests in the 4 s after SIGCONT"
	if [ $(($(replies_from_s) - r1)) -ge $((WATCH_RATE * 2)) ]; then
		say "ok: S is served again"
	else
		say "ERROR: S answered fewer than $((WATCH_RATE * 2)) requests in 4 s after it read again"
		bad=1
	fi
	if [[ $est0 =~ ^[0-9]+$ && $est1 =~ ^[0-9]+$ ]] && [ "$est1" -gt "$est0" ]; then
		say "ok: a new association came up (established $est0 -> $est1)"
	else
		say "ERROR: established $est0 -> $est1: no new association to S"
		bad=1
	fi
	expect "assoc_stalled (one stall, reported once)" "$(counter_value K assoc_stalled)" 1 || bad=1
	expect "e2e-stalled lines" "$(grep -c e2e-stalled "${KAM_LOG[K]}")" 1 || bad=1
	stalled_load_end || bad=1
	[ $bad = 0 ]
}

# the C module has no watchdog: with the same load, S stopped for twice the
# timeout, its association to S is still there, established, and nothing
# reported it (the gap assoc-stalled-ours closes)
sc_assoc_stalled_c() {
	local bad=0 n
	stalled_load_start "$C_MODULE" $'#!define STALLED_PEER "sip:127.0.0.1:5070;transport=sctp"' || return 1
	sleep 2
	kill -STOP -- "-${KAM_PID[S]}"
	say "peer S stopped with SIGSTOP; waiting $((WATCH_TIMEOUT * 2)) ms"
	sleep $((WATCH_TIMEOUT * 2 / 1000))
	say "/proc/net/sctp/assocs:"
	indent </proc/net/sctp/assocs
	# columns: ... ST (5) ... LPORT (12) RPORT (13); state 3: ESTABLISHED
	n=$(awk 'NR > 1 && $12 == 5060 && $13 == 5070 && $5 == 3 { n++ } END { print n + 0 }' /proc/net/sctp/assocs)
	expect "C module: established associations to S while it reads nothing" "$n" 1 || bad=1
	kill -CONT -- "-${KAM_PID[S]}"
	stalled_load_end || bad=1
	[ $bad = 0 ]
}

# slow-peer: S spends 15 ms on each INVITE (its one receiver can take about
# 66 a second) while sipp sends it 50 calls/s through K for 12 s, with a
# tight sctp_stall_timeout (1000) and sctp_stall_abort 1: S is slow but keeps
# taking data, so nothing may count as stalled, and S must answer every
# request.
sc_slow_peer_ours() {
	local bad=0 calls=600 got
	start_stall_peer "#!define SLOW_US 15000" &&
		FAULT_DEFINES=$STALL_DEFINES start_fault_uas K "$OUR_MODULE" 2 1 stall_timeout=1000 stall_abort=1 ||
		return 1
	sipp_counts x 60 -sn uac -s stalled -r 50 -m "$calls" -l 100000 -p 5093 -t s1 -i 127.0.0.1 \
		127.0.0.1:5060 -recv_timeout 3s
	# K's script drops the replies: sipp's calls time out; S's answers count
	sleep 1
	got=$(replies_from_s)
	expect "requests S answered (of $calls)" "$got" "$calls" || bad=1
	expect "assoc_stalled" "$(counter_value K assoc_stalled)" 0 || bad=1
	if grep -q "e2e-stalled" "${KAM_LOG[K]}"; then
		say "ERROR: the route ran for a live peer:"
		grep "e2e-stalled" "${KAM_LOG[K]}" | head -n 3 | indent
		bad=1
	fi
	check_alive K && check_alive S || bad=1
	[ $bad = 0 ]
}
