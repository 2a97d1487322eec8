# common.sh: sourced by the scripts that run in the VM (bench.sh, profile.sh,
# ctxprobe.sh, burstprobe.sh, windowprobe.sh): the two modules, their ports, the e2e helpers,
# starting the UAS Kamailio the measurements drive, and the probes' sipp runs.
# shellcheck shell=bash
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
OUR_MODULE=${OUR_MODULE:-$REPO/target/release/libkamailio_sctp.so}
C_MODULE=${C_MODULE:-/usr/lib/x86_64-linux-gnu/kamailio/modules/sctp.so}
BENCH_OUT=${BENCH_OUT:-${VM_OUT_DIR:?BENCH_OUT or VM_OUT_DIR must be set}}

# shellcheck source-path=SCRIPTDIR
. "$BENCH_DIR/../e2e/lib.sh"

# Our module on 5060, the C module on 5062.
# shellcheck disable=SC2034 # used by the scripts that source this file
declare -A PORT=([ours]=5060 [c]=5062) MODULE=([ours]=$OUR_MODULE [c]=$C_MODULE)

# pids_of PGID: the processes of process group PGID (a Kamailio), one a line.
pids_of() {
	awk -v g="$1" '$5 == g { print $1 }' /proc/[0-9]*/stat 2>/dev/null
}

# start_uas WHICH: Kamailio answering INVITE/BYE with 200 (configs/rpc-uas.cfg
# of the e2e suite: sctp_children=2, ctl and counters for the counter), with
# BENCH_OURS_PARAMS for ours.
start_uas() {
	local params=""
	[ "$1" = ours ] && params=${BENCH_OURS_PARAMS:-}
	start_kamailio "$1" rpc-uas.cfg SCTP_MODULE="${MODULE[$1]}" DEBUG=2 \
		LISTEN="sctp:127.0.0.1:${PORT[$1]}" SCTP_PARAMS="$params" &&
		wait_ready "$1" "sctp:${PORT[$1]}" &&
		sleep 2 # the end of its start-up work out of the measurement
}

# probe_workdir NAME: the probe's logs in a directory of its own on the VM's
# tmpfs (SC_DIR, for the e2e helpers); every Kamailio stopped at exit.
probe_workdir() {
	E2E_WORK=${TMPDIR:-/tmp}/kamailio-sctp-$1.$$
	SC_DIR=$E2E_WORK
	mkdir -p "$SC_DIR"
	trap 'stop_all; rm -rf "$CTL_DIR"' EXIT
}

# sipp_settings: how bench.sh (and a probe that calls this) runs sipp, from
# BENCH_SIPP_ARGS, BENCH_SIPP_BUFF and BENCH_SIPP_NICE: sets SIPP_EXTRA (more
# sipp options, split on spaces), SIPP_BUFF, SIPP_NICE and SIPP_WRAP; fails
# with a line on stderr for a bad niceness.
sipp_settings() {
	SIPP_EXTRA=${BENCH_SIPP_ARGS:-}
	# sipp's socket buffers (bytes; 0: sipp's own 64 kB): short of CPU in the
	# VM, sipp falls behind reading, and with 64 kB the replies back up into
	# Kamailio's send buffer and fail there, whatever the module: the bench
	# then measures sipp. net.core.rmem_max/wmem_max are raised to allow it.
	SIPP_BUFF=${BENCH_SIPP_BUFF:-4194304}
	if [ "$SIPP_BUFF" != 0 ]; then
		sysctl -qw net.core.rmem_max="$SIPP_BUFF" net.core.wmem_max="$SIPP_BUFF"
		SIPP_EXTRA="-buff_size $SIPP_BUFF${SIPP_EXTRA:+ $SIPP_EXTRA}"
	fi
	# sipp's niceness (0: as Kamailio's). sipp and Kamailio share the VM's 2
	# CPUs; a sipp that does not run for 500 ms (its "minor watchdog" trips)
	# stops reading, and its association stalls until a retransmission
	# timeout: the calls of the next seconds fail, whatever the module. A
	# negative value lets sipp run first, so that what fails is Kamailio's.
	SIPP_NICE=${BENCH_SIPP_NICE:--10}
	[[ $SIPP_NICE =~ ^-?[0-9]+$ ]] && [ "$SIPP_NICE" -ge -20 ] && [ "$SIPP_NICE" -le 19 ] || {
		echo "bench: BENCH_SIPP_NICE must be a niceness from -20 to 19, not \"$SIPP_NICE\"" >&2
		return 2
	}
	[ "$SIPP_NICE" = 0 ] || SIPP_WRAP="nice -n $SIPP_NICE"
}

# uac_calls LABEL WHICH CALLS RATE: sipp's built-in uac scenario (INVITE, ACK,
# BYE) against Kamailio WHICH, no limit on open calls, a call failed after 5 s
# without its reply, with SIPP_EXTRA; sets SIPP_OK and SIPP_FAILED (sipp_counts).
uac_calls() {
	# shellcheck disable=SC2086 # SIPP_EXTRA is a list of options
	sipp_counts "$1" $(($3 / $4 + 60)) -sn uac -m "$3" -r "$4" -l "$3" -p 5090 -t s1 \
		-i 127.0.0.1 -recv_timeout 5s ${SIPP_EXTRA:-} "127.0.0.1:${PORT[$2]}"
}
