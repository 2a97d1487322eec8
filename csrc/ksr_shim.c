/*
 * Function forms of the Kamailio core's logging macros (dprint.h), which a
 * Rust module cannot expand. Written for this project; behaviour follows the
 * LOG_FX macro of Kamailio 5.6: same level test, same line layout, same
 * choice between structured logging, stderr and syslog.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/futex.h>
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

/* ---- shared memory ---------------------------------------------------- */

void *ksr_shim_shm_malloc0(unsigned long size)
{
#ifdef DBG_SR_MEMORY
	return _shm_root.xmallocxz(_shm_root.mem_block, size, __FILE__, __func__,
			__LINE__, SHIM_MOD_NAME);
#else
	return _shm_root.xmallocxz(_shm_root.mem_block, size);
#endif
}

void ksr_shim_shm_free(void *p)
{
#ifdef DBG_SR_MEMORY
	_shm_root.xfree(_shm_root.mem_block, p, __FILE__, __func__, __LINE__,
			SHIM_MOD_NAME);
#else
	_shm_root.xfree(_shm_root.mem_block, p);
#endif
}

/* ---- the core's futex lock (futexlock.h protocol) ----------------------- */

static void shim_lock_get(gen_lock_t *l)
{
	int v = 0;
	if(__atomic_compare_exchange_n(&l->val, &v, 1, 0, __ATOMIC_ACQUIRE,
			   __ATOMIC_RELAXED))
		return;
	/* taken: announce a waiter (2) and sleep until we get it */
	while(__atomic_exchange_n(&l->val, 2, __ATOMIC_ACQUIRE) != 0)
		syscall(SYS_futex, &l->val, FUTEX_WAIT, 2, NULL, NULL, 0);
}

static void shim_lock_release(gen_lock_t *l)
{
	if(__atomic_exchange_n(&l->val, 0, __ATOMIC_RELEASE) == 2)
		syscall(SYS_futex, &l->val, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static int shim_atomic_add(atomic_t *a, int v)
{
	return __atomic_add_fetch(&a->val, v, __ATOMIC_SEQ_CST);
}

/* ---- cfg_update() (cfg_struct.h) --------------------------------------- */

static void shim_cfg_reset_handles(void)
{
	cfg_group_t *group;
	unsigned char *h;

	if(!cfg_local)
		return;
	for(group = cfg_group; group && cfg_ginst_count; group = group->next) {
		h = (unsigned char *)*(group->handle);
		if(h < cfg_local->vars || h > cfg_local->vars + cfg_block_size)
			cfg_move_handle(group,
					(cfg_group_inst_t *)(h - offsetof(cfg_group_inst_t, vars)),
					NULL);
	}
}

static void shim_cfg_child_cb_free(cfg_child_cb_t *cb)
{
	int i;
	if(cb->replaced) {
		for(i = 0; cb->replaced[i]; i++)
			ksr_shim_shm_free(cb->replaced[i]);
		ksr_shim_shm_free(cb->replaced);
	}
	ksr_shim_shm_free(cb);
}

static void shim_cfg_update_local(void)
{
	cfg_group_t *group;
	cfg_child_cb_t *last_cb;
	cfg_child_cb_t *prev_cb;

	if(cfg_local && shim_atomic_add(&cfg_local->refcnt, -1) == 0)
		ksr_shim_shm_free(cfg_local);
	shim_lock_get(cfg_global_lock);
	shim_atomic_add(&(*cfg_global)->refcnt, 1);
	cfg_local = *cfg_global;
	last_cb = *cfg_child_cb_last; /* read under the lock */
	shim_lock_release(cfg_global_lock);

	for(group = cfg_group; group; group = group->next)
		*(group->handle) = cfg_local->vars + group->var_offset;

	if(cfg_child_cb == CFG_NO_CHILD_CBS)
		return;
	while(cfg_child_cb != last_cb) {
		prev_cb = cfg_child_cb;
		cfg_child_cb = cfg_child_cb->next;
		shim_atomic_add(&cfg_child_cb->refcnt, 1);
		if(shim_atomic_add(&prev_cb->refcnt, -1) == 0) {
			/* no process refers to prev_cb any more: the one that moved
			 * the list start past it frees it */
			shim_lock_get(cfg_global_lock);
			if(*cfg_child_cb_first == prev_cb) {
				*cfg_child_cb_first = cfg_child_cb;
				shim_lock_release(cfg_global_lock);
				shim_cfg_child_cb_free(prev_cb);
			} else {
				shim_lock_release(cfg_global_lock);
			}
		}
		if(cfg_child_cb->cb && shim_atomic_add(&cfg_child_cb->cb_count, -1) >= 0)
			cfg_child_cb->cb(&cfg_child_cb->gname, &cfg_child_cb->name);
	}
}

void ksr_shim_cfg_update(void)
{
	if(cfg_ginst_count)
		shim_cfg_reset_handles();
	if(cfg_global && cfg_local != *cfg_global)
		shim_cfg_update_local();
}

/* ---- destination blocklist -------------------------------------------- */

/* an int variable of the core's config group, in this process's view */
static int shim_core_cfg_int(const char *name, int dflt)
{
	static cfg_group_t *core_group;
	cfg_mapping_t *m;

	if(!core_group)
		core_group = cfg_lookup_group("core", 4);
	if(!core_group || !*core_group->handle)
		return dflt;
	m = cfg_lookup_var2(core_group, (char *)name, strlen(name));
	if(!m)
		return dflt;
	return *(int *)((char *)*core_group->handle + m->offset);
}

int ksr_shim_blocklist_sctp(unsigned char err_flags, union sockaddr_union *su)
{
	if(!shim_core_cfg_int("use_dst_blocklist", 0))
		return 0;
	if(!(err_flags & ~blst_proto_imask[PROTO_SCTP]))
		return 0;
	return dst_blocklist_force_su_to(err_flags, PROTO_SCTP, su, NULL,
			(ticks_t)shim_core_cfg_int("dst_blocklist_expire", 60)
					* TIMER_TICKS_HZ);
}
