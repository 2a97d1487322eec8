# common.sh: sourced by the scripts that run in the VM (bench.sh, profile.sh,
# ctxprobe.sh): the two modules, their ports, the e2e helpers, and starting
# the UAS Kamailio the measurements drive.
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
