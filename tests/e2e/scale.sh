# shellcheck shell=bash disable=SC2034
# Scale scenarios (bash, sourced by suite.sh): what the module costs in shared
# memory for a large sctp_max_assocs.

SCENARIOS+=" max-assocs-large-ours max-assocs-large-c"

# max-assocs-large: sctp_max_assocs 524289 with the suite's 64 MB of shm.
# The module's association table used to be sized from the limit up front
# (2 x max_assocs entries): this value stopped Kamailio at startup. Entries
# are now allocated per association, so Kamailio must start, answer, and use
# little shm (core.shmmem real_used under LARGE_SHM_MAX_MB), like the C
# module, which allocates per association too.
LARGE_SHM_MAX_MB=${E2E_LARGE_SHM_MAX_MB:-24}

max_assocs_large() {
	local bad=0 used
	start_rpc_uas k "$1" 5060 max_assocs=524289 || return 1
	run_client probe --requests 3 --timeout 5 127.0.0.1:5060
	expect "OPTIONS answered" "$(result_field ok)" 3 || bad=1
	kam_rpc k core.shmmem || bad=1
	used=$(rpc_field real_used)
	if [[ $used =~ ^[0-9]+$ ]] && [ "$used" -le $((LARGE_SHM_MAX_MB * 1024 * 1024)) ]; then
		say "ok: shm real_used $((used / 1024)) kB <= $LARGE_SHM_MAX_MB MB"
	else
		say "ERROR: shm real_used = $used, expected <= $LARGE_SHM_MAX_MB MB"
		bad=1
	fi
	check_alive k || bad=1
	[ $bad = 0 ]
}
sc_max_assocs_large_ours() { max_assocs_large "$OUR_MODULE"; }
sc_max_assocs_large_c() { max_assocs_large "$C_MODULE"; }
