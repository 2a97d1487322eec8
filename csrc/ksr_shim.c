/*
 * Function forms of the Kamailio core's logging macros (dprint.h), which a
 * Rust module cannot expand. Written for this project; behaviour follows the
 * LOG_FX macro of Kamailio 5.6: same level test, same line layout, same
 * choice between structured logging, stderr and syslog.
 */
#include <stdio.h>
#include "kamailio_abi.h"
#include "ksr_shim.h"

#define SHIM_MOD_NAME "sctp"
#define SHIM_MOD_NAME_LEN (sizeof(SHIM_MOD_NAME) - 1)

int ksr_shim_log_level(void)
{
	return get_debug_level(SHIM_MOD_NAME, SHIM_MOD_NAME_LEN);
}

void ksr_shim_log(int level, const char *text, int text_len)
{
	int lev;
	const char *lname;
	int syslog_prio;
	const char *pfx;
	int pfx_len;

	if(dprint_crit != 0 || ksr_shim_log_level() < level)
		return;
	lev = level < L_ALERT ? L_ALERT : (level > L_DBG ? L_DBG : level);
	lname = log_level_info[lev - L_ALERT].name;
	syslog_prio = log_level_info[lev - L_ALERT].syslog_level
				  | get_debug_facility(SHIM_MOD_NAME, SHIM_MOD_NAME_LEN);
	pfx = log_prefix_val ? log_prefix_val->s : "";
	pfx_len = log_prefix_val ? log_prefix_val->len : 0;

	dprint_crit++;
	if(_ksr_slog_func) {
		ksr_logdata_t kld = {0};
		kld.v_facility = syslog_prio;
		kld.v_level = lev;
		kld.v_lname = (char *)lname;
		kld.v_fname = "";
		kld.v_fline = 0;
		kld.v_mname = SHIM_MOD_NAME;
		kld.v_func = "";
		kld.v_locinfo = "";
		_ksr_slog_func(&kld, "%.*s\n", text_len, text);
	} else if(log_stderr) {
		if(log_color)
			dprint_color(lev);
		fprintf(stderr, "%2d(%d) %s: %.*s%.*s\n", process_no, my_pid(), lname,
				pfx_len, pfx, text_len, text);
		if(log_color)
			dprint_color_reset();
	} else {
		_km_log_func(syslog_prio, "%s: %.*s%.*s\n", lname, pfx_len, pfx,
				text_len, text);
	}
	dprint_crit--;
}
