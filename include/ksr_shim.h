/*
 * C helpers for what the Kamailio core offers only as macros.
 * Implemented in csrc/ksr_shim.c against kamailio-headers/kamailio_abi.h.
 */
#ifndef KAMAILIO_SCTP_RS_SHIM_H
#define KAMAILIO_SCTP_RS_SHIM_H

union sockaddr_union;

/* The effective debug level of this module in this process (the core's
 * is_printable() test compares against it). */
int ksr_shim_log_level(void);

/* Write one log line the way the core's LOG()/LM_*() macros do: honouring
 * log_stderror, log_color, log_prefix, structured logging engines and the
 * per-module debug level and facility. `text` is the line after the level
 * name (location and message, no newline); it need not be 0-terminated. */
void ksr_shim_log(int level, const char *text, int text_len);

/* shm_malloc()/shm_free() of the core (0-filled allocation). */
void *ksr_shim_shm_malloc0(unsigned long size);
void ksr_shim_shm_free(void *p);

/* cfg_update(): bring this process's view of the config framework up to
 * date and run pending per-process callbacks. For processes the module runs
 * itself (the SCTP receivers), once per loop iteration. */
void ksr_shim_cfg_update(void);

/* dst_blocklist_su() of the core for an SCTP destination: honours the
 * core's use_dst_blocklist, blst_timeout and ignore masks. */
int ksr_shim_blocklist_sctp(unsigned char err_flags, union sockaddr_union *su);

#endif
