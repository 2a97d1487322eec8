# shellcheck shell=bash disable=SC2034 # SCENARIOS is used by suite.sh
# The e2e scenarios (bash, sourced by suite.sh). Scenario NAME is the
# function sc_NAME (dashes as underscores); it returns 0 when it passed.
# The suite stops the Kamailio instances afterwards.

SCENARIOS="uac-ours uac-c k2k-ours-to-c k2k-c-to-ours multihomed ipv6 bad-param oversize"
# The parity scenarios (parity.sh) add theirs.

CALLS=${E2E_CALLS:-2000}        # calls of the uac and k2k scenarios
RATE=${E2E_RATE:-200}           # calls per second
SMALL_CALLS=${E2E_SMALL_CALLS:-200} # calls of multihomed and ipv6
SIPP_PORT=5090                  # sipp's own port, away from Kamailio's

# sipp_uac LABEL CALLS SIPP-ARGS...: sipp's built-in UAC scenario (INVITE,
# ACK, BYE) for CALLS calls at RATE calls/s, at most 200 open at a time.
sipp_uac() {
	local label=$1 n=$2
	shift 2
	run_sipp "$label" "$n" -sn uac -m "$n" -r "$RATE" -l 200 -p "$SIPP_PORT" "$@"
}

# sipp -> SCTP -> Kamailio (module $1) answering INVITE/BYE with 200.
uac_over_sctp() {
	start_kamailio uas uas.cfg SCTP_MODULE="$1" LISTEN=sctp:127.0.0.1:5060 &&
		wait_ready uas sctp:5060 &&
		sipp_uac uac "$CALLS" -t s1 -i 127.0.0.1 127.0.0.1:5060 &&
		check_alive uas
}
sc_uac_ours() { uac_over_sctp "$OUR_MODULE"; }
sc_uac_c() { uac_over_sctp "$C_MODULE"; }

# sipp -> UDP -> Kamailio A (module $1) -> SCTP -> Kamailio B (module $2);
# replies come back the same way (stateless forwarding in A's core). B
# only listens on SCTP and refuses non-SCTP requests; the SCTP association
# between A (port 5070) and B (port 5080) is shown and checked afterwards.
kamailio_to_kamailio() {
	start_kamailio B uas.cfg SCTP_MODULE="$2" LISTEN=sctp:127.0.0.1:5080 &&
		start_kamailio A proxy.cfg SCTP_MODULE="$1" \
			LISTEN_UDP=udp:127.0.0.1:5060 LISTEN_SCTP=sctp:127.0.0.1:5070 \
			NEXT_HOST=127.0.0.1 NEXT_PORT=5080 &&
		wait_ready B sctp:5080 &&
		wait_ready A udp:5060 sctp:5070 &&
		sipp_uac uac "$CALLS" -t u1 -i 127.0.0.1 127.0.0.1:5060 &&
		check_alive A && check_alive B &&
		check_association 5070 5080
}
sc_k2k_ours_to_c() { kamailio_to_kamailio "$OUR_MODULE" "$C_MODULE"; }
sc_k2k_c_to_ours() { kamailio_to_kamailio "$C_MODULE" "$OUR_MODULE"; }

# check_association PORT1 PORT2: exactly one SCTP association joins the two
# ports, and none other has either (every request and reply of the run went
# over it: a one-to-many socket holds one association per peer endpoint, and
# a send to the peer's address takes it, so reuse or not cannot be told here).
# /proc/net/sctp/assocs columns: ... LPORT (12) RPORT (13) LADDRS <-> RADDRS
# shellcheck disable=SC2016 # awk programs, through in_ns
check_association() {
	local n
	say "/proc/net/sctp/assocs:"
	in_ns cat /proc/net/sctp/assocs | indent
	n=$(in_ns awk -v a="$1" -v b="$2" 'NR > 1 && ($12 == a || $12 == b || $13 == a || $13 == b) { n++ }
		END { print n + 0 }' /proc/net/sctp/assocs)
	# both ends of the one association are listed, one line each
	if [ "$n" = 2 ] && in_ns awk -v a="$1" -v b="$2" 'NR > 1 && $12 == a && $13 == b { f = 1 }
		END { exit !f }' /proc/net/sctp/assocs; then
		say "one SCTP association between ports $1 and $2, no other on either"
	else
		say "ERROR: expected one SCTP association between ports $1 and $2 and no other (lines: $n)"
		return 1
	fi
}

# One endpoint bound to 127.0.0.1 and 127.0.0.2; calls to both addresses.
sc_multihomed() {
	start_kamailio uas uas.cfg SCTP_MODULE="$OUR_MODULE" \
		LISTEN="sctp:(127.0.0.1,127.0.0.2):5060" &&
		wait_ready uas sctp:5060 || return 1
	say "/proc/net/sctp/eps:"
	indent </proc/net/sctp/eps
	local addrs
	addrs=$(awk 'NR > 1 && $6 == 5060 { for (i = 9; i <= NF; i++) printf " %s", $i }' /proc/net/sctp/eps)
	say "local addresses of the endpoint on port 5060:$addrs"
	local a
	for a in 127.0.0.1 127.0.0.2; do
		case " $addrs " in
		*" $a "*) ;;
		*)
			say "ERROR: the endpoint on port 5060 is not bound to $a"
			return 1
			;;
		esac
	done
	sipp_uac to-127.0.0.2 "$SMALL_CALLS" -t s1 -i 127.0.0.1 127.0.0.2:5060 &&
		sipp_uac to-127.0.0.1 "$SMALL_CALLS" -t s1 -i 127.0.0.1 127.0.0.1:5060 &&
		check_alive uas
}

# SCTP over IPv6 loopback.
sc_ipv6() {
	start_kamailio uas uas.cfg SCTP_MODULE="$OUR_MODULE" LISTEN="sctp:[::1]:5060" &&
		wait_ready uas sctp:5060 &&
		sipp_uac uac "$SMALL_CALLS" -t s1 -i ::1 "[::1]:5060" &&
		check_alive uas
}

# A negative sctp_send_ttl must make Kamailio refuse to start (exit code
# not 0) with our module's own line for it (src/config/params.rs,
# ParamError: the parameter, the value and what is expected). Any other
# startup failure (a typo in the config, a module that does not load, the
# core refusing the modparam) does not count.
BAD_PARAM_LINE='invalid value -5 for modparam("sctp", "sctp_send_ttl"): expected milliseconds (>= 0, 0 for no time limit)'

sc_bad_param() {
	local limit=20 rc=0 log deadline
	start_kamailio bad bad-param.cfg SCTP_MODULE="$OUR_MODULE" LISTEN=sctp:127.0.0.1:5060 || return 1
	log=${KAM_LOG[bad]}
	deadline=$((SECONDS + limit))
	while alive "${KAM_PID[bad]}" && [ $SECONDS -lt $deadline ]; do
		sleep 0.2
	done
	if alive "${KAM_PID[bad]}"; then
		say "ERROR: kamailio[bad] still runs after $limit s: it accepted sctp_send_ttl=-5"
		return 1
	fi
	wait "${KAM_PID[bad]}" || rc=$?
	say "kamailio[bad] exited with code $rc"
	if [ "$rc" = 0 ]; then
		say "ERROR: kamailio[bad] exited with code 0"
		return 1
	fi
	say "log lines naming sctp_send_ttl:"
	grep sctp_send_ttl "$log" | head -n 5 | cut -c 1-300 | indent
	if ! grep -F "ERROR: sctp [" "$log" | grep -q -F "$BAD_PARAM_LINE"; then
		say "ERROR: the log has no error line of the sctp module saying: $BAD_PARAM_LINE"
		return 1
	fi
	say "ok: the module refused the value with: $BAD_PARAM_LINE"
}

# A 70000-byte message (more than the largest SIP message, 65535 bytes) must
# be dropped with an error line naming the peer, no piece of it may reach the
# core (no_piece_reached_core, faults.sh), its association must be aborted at
# once (the peer sees it within 2 s; cut_aborted 1), and Kamailio must carry
# on: a small OPTIONS from the same socket, on a new association, gets its 200.
sc_oversize() {
	start_fault_uas uas "$OUR_MODULE" 2 1 || return 1
	run_client big --oversize 70000 --expect-abort 5 --requests 1 --timeout 5 127.0.0.1:5060
	local ok after bad=0
	ok=$(result_field ok)
	after=$(result_field aborted_after)
	check_alive uas || return 1
	say "log lines about the oversized message:"
	grep -E -i 'largest SIP message|cut message|partial' "${KAM_LOG[uas]}" | head -n 10 | cut -c 1-300 | indent
	if ! log_has "${KAM_LOG[uas]}" 'aborted the association of 127.0.0.1:[0-9]+ ' 'largest SIP message'; then
		say "ERROR: no error line naming the peer whose oversized message aborted its association"
		bad=1
	fi
	expect "the peer saw its association aborted within 2 s (after $after s)" \
		"$(awk -v t="$after" 'BEGIN { print (t >= 0 && t <= 2) ? "yes" : "no" }')" yes || bad=1
	expect "associations aborted (cut_aborted)" "$(counter_value uas cut_aborted)" 1 || bad=1
	if [ "$ok" != 1 ]; then
		say "ERROR: the OPTIONS sent after the oversized message got no 200"
		bad=1
	fi
	no_piece_reached_core uas 1 || bad=1
	[ $bad = 0 ] && say "oversized message dropped, its association aborted, none of it reached the core; the next request was answered"
}

# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/parity.sh"
. "$E2E_DIR/faults.sh"
. "$E2E_DIR/cut.sh"
. "$E2E_DIR/events.sh"
. "$E2E_DIR/multihome.sh"
. "$E2E_DIR/health.sh"
. "$E2E_DIR/profiles.sh"
. "$E2E_DIR/encap.sh"
. "$E2E_DIR/runtime_peers.sh"
