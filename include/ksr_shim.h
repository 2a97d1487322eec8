/*
 * C helpers for what the Kamailio core offers only as macros.
 * Implemented in csrc/ksr_shim.c against kamailio-headers/kamailio_abi.h.
 */
#ifndef KAMAILIO_SCTP_RS_SHIM_H
#define KAMAILIO_SCTP_RS_SHIM_H

/* The effective debug level of this module in this process (the core's
 * is_printable() test compares against it). */
int ksr_shim_log_level(void);

/* Write one log line the way the core's LOG()/LM_*() macros do: honouring
 * log_stderror, log_color, log_prefix, structured logging engines and the
 * per-module debug level and facility. `text` is the line after the level
 * name (location and message, no newline); it need not be 0-terminated. */
void ksr_shim_log(int level, const char *text, int text_len);

#endif
