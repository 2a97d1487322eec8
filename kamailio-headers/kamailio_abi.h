/*
 * The part of the Kamailio 5.6 core ABI that this module uses.
 *
 * Hand-written for this project from reading tag 5.6.3 of the Kamailio core
 * (src/core/{str.h,ip_addr.h,sr_module.h,sctp_core.h,dprint.h,globals.h,
 * socket_info.h,receive.h,cfg/cfg_struct.h}). Only what the module uses is
 * declared. Layout-relevant compile flags of the core are passed in by
 * build.rs from the `flags:` line of `kamailio -v`:
 *   USE_MCAST  adds `mcast` at the end of struct socket_info
 *   USE_COMP   turns the padding of receive_info/dest_info into `comp`
 * Field names follow the core so the bindgen output reads like the C API.
 */
#ifndef KAMAILIO_SCTP_RS_ABI_H
#define KAMAILIO_SCTP_RS_ABI_H

#include <netinet/in.h>
#include <sys/socket.h>

/* ---- str.h --------------------------------------------------------- */
typedef struct _str {
	char *s;
	int len;
} str;

/* ---- ip_addr.h ----------------------------------------------------- */
typedef enum sip_protos {
	PROTO_NONE, PROTO_UDP, PROTO_TCP, PROTO_TLS, PROTO_SCTP,
	PROTO_WS, PROTO_WSS, PROTO_OTHER
} sip_protos_t;

typedef struct ip_addr {
	unsigned int af;  /* AF_INET or AF_INET6 */
	unsigned int len; /* 4 or 16 */
	union {
		unsigned long addrl[16 / sizeof(long)];
		unsigned int addr32[4];
		unsigned short addr16[8];
		unsigned char addr[16];
	} u;
} ip_addr_t;

typedef union sockaddr_union {
	struct sockaddr s;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_storage sas;
} sr_sockaddr_union_t;

typedef enum si_flags {
	SI_NONE = 0,
	SI_IS_IP = (1 << 0),
	SI_IS_LO = (1 << 1),
	SI_IS_MCAST = (1 << 2),
	SI_IS_ANY = (1 << 3),
	SI_IS_MHOMED = (1 << 4),
	SI_IS_VIRTUAL = (1 << 5),
} si_flags_t;

/* one extra address of a multi-homed listen */
typedef struct addr_info {
	str name;
	struct ip_addr address;
	str address_str;
	enum si_flags flags;
	union sockaddr_union su;
	struct addr_info *next;
	struct addr_info *prev;
} addr_info_t;

typedef struct advertise_info {
	str name;
	unsigned short port_no;
	short port_pad;
	str port_no_str;
	str address_str;
	struct ip_addr address;
	str sock_str;
} advertise_info_t;

typedef struct socket_info {
	int socket;
	int gindex;
	str name;
	struct ip_addr address;
	str address_str;
	str port_no_str;
	enum si_flags flags;
	union sockaddr_union su;
	struct socket_info *next;
	struct socket_info *prev;
	unsigned short port_no;
	char proto;
	char proto_pad0;
	short proto_pad1;
	str sock_str;
	struct addr_info *addr_info_lst; /* extra addresses (SCTP multi-homing) */
	int workers;
	int workers_tcpidx;
	str sockname;
	struct advertise_info useinfo;
#ifdef USE_MCAST
	str mcast;
#endif
} socket_info_t;

typedef struct snd_flags {
	unsigned short f;
	unsigned short blst_imask;
} snd_flags_t;

typedef enum recv_flags {
	RECV_F_INTERNAL = (1 << 0),
	RECV_F_PREROUTING = (1 << 1),
} recv_flags_t;

typedef struct receive_info {
	struct ip_addr src_ip;
	struct ip_addr dst_ip;
	unsigned short src_port; /* host byte order */
	unsigned short dst_port; /* host byte order */
	int proto_reserved1;     /* connection id (SCTP: tracked assoc id) */
	int proto_reserved2;
	union sockaddr_union src_su;
	struct socket_info *bind_address;
	recv_flags_t rflags;
	char proto;
#ifdef USE_COMP
	char proto_pad0;
	short comp;
#else
	char proto_pad0;
	short proto_pad1;
#endif
} receive_info_t;

typedef struct dest_info {
	struct socket_info *send_sock;
	union sockaddr_union to;
	int id; /* connection id */
	snd_flags_t send_flags;
	char proto;
#ifdef USE_COMP
	char proto_pad0;
	short comp;
#else
	char proto_pad0;
	short proto_pad1;
#endif
} dest_info_t;

/* ---- sr_module.h --------------------------------------------------- */
#define MODULE_INTERFACE_VER 4
#define DEFAULT_DLFLAGS 0
#define PARAM_STRING (1U << 0)
#define PARAM_INT (1U << 1)
#define PARAM_STR (1U << 2)

typedef unsigned int modparam_t;
struct sip_msg;

typedef int (*cmd_function)(struct sip_msg *, char *, char *);
typedef int (*fixup_function)(void **param, int param_no);
typedef int (*free_fixup_function)(void **param, int param_no);
typedef int (*response_function)(struct sip_msg *);
typedef void (*destroy_function)(void);
typedef int (*init_function)(void);
typedef int (*child_init_function)(int rank);

typedef struct cmd_export {
	char *name;
	cmd_function function;
	int param_no;
	fixup_function fixup;
	free_fixup_function free_fixup;
	unsigned int flags;
} cmd_export_t;

typedef struct param_export {
	char *name;
	modparam_t type;
	void *param_pointer;
} param_export_t;

/* rpc_export_t and pv_export_t are only pointed to (NULL here) */
struct rpc_export;
struct pv_export;

typedef struct module_exports {
	char *name;
	unsigned int dlflags;
	cmd_export_t *cmds;
	param_export_t *params;
	struct rpc_export *rpc_methods;
	struct pv_export *pv_items;
	response_function response_f;
	init_function init_mod_f;
	child_init_function init_child_f;
	destroy_function destroy_mod_f;
} module_exports_t;

/* ---- sctp_core.h --------------------------------------------------- */
typedef int (*sctp_srapi_init_f)(void);
typedef void (*sctp_srapi_destroy_f)(void);
typedef int (*sctp_srapi_init_sock_f)(struct socket_info *sock_info);
typedef int (*sctp_srapi_check_support_f)(void);
typedef int (*sctp_srapi_rcv_loop_f)(void);
typedef int (*sctp_srapi_msg_send_f)(struct dest_info *dst, char *buf,
		unsigned len);

typedef struct sctp_srapi {
	sctp_srapi_init_f init;
	sctp_srapi_destroy_f destroy;
	sctp_srapi_init_sock_f init_sock;
	sctp_srapi_check_support_f check_support;
	sctp_srapi_rcv_loop_f rcv_loop;
	sctp_srapi_msg_send_f msg_send;
} sctp_srapi_t;

int sctp_core_register_api(sctp_srapi_t *api);

/* ---- globals.h / socket_info.h / receive.h / cfg_struct.h ---------- */
extern struct socket_info *bind_address; /* the receiver's own socket */
extern struct socket_info *sctp_listen;  /* all SCTP listen sockets */
extern int tos;                          /* IP TOS / IPv6 traffic class */
extern int _sr_ip_free_bind;             /* ip_free_bind= core parameter */

int receive_msg(char *buf, unsigned int len, struct receive_info *ri);
int cfg_child_init(void);

/* ---- dprint.h ------------------------------------------------------ */
#define L_ALERT -5
#define L_BUG -4
#define L_CRIT2 -3
#define L_CRIT -2
#define L_ERR -1
#define L_WARN 0
#define L_NOTICE 1
#define L_INFO 2
#define L_DBG 3
#define DEFAULT_FACILITY 0

typedef struct ksr_logdata {
	int v_facility;
	int v_level;
	char *v_lname;
	const char *v_fname;
	int v_fline;
	const char *v_mname;
	const char *v_func;
	const char *v_locinfo;
	int v_pid;
	int v_pidx;
} ksr_logdata_t;

typedef void (*ksr_slog_f)(ksr_logdata_t *, const char *, ...);
typedef void (*km_log_f)(int, const char *, ...);

struct log_level_info {
	char *name;
	int syslog_level;
};

extern ksr_slog_f _ksr_slog_func;
extern km_log_f _km_log_func;
extern int process_no;
extern int log_stderr;
extern int log_color;
extern str *log_prefix_val;
extern struct log_level_info log_level_info[];
extern volatile int dprint_crit;

int my_pid(void);
int get_debug_level(char *mname, int mnlen);
int get_debug_facility(char *mname, int mnlen);
void dprint_color(int level);
void dprint_color_reset(void);

#endif /* KAMAILIO_SCTP_RS_ABI_H */
