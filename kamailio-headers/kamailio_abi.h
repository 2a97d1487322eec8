/*
 * The part of the Kamailio core ABI that this module uses, for the core
 * series 5.6, 5.7, 5.8, 6.0, 6.1 and 6.2 (6.2 as master had it while in
 * development: docs/design.md names the commit).
 *
 * Hand-written for this project from reading the Kamailio core's headers
 * (src/core/{str.h,ip_addr.h,sr_module.h,sctp_core.h,dprint.h,globals.h,
 * socket_info.h,receive.h,cfg/cfg_struct.h,...}) at the latest tag of each
 * series. Only what the module uses is declared. build.rs passes in:
 *   KSR_ABI_VERSION  the core's series, major * 10000 + minor * 100
 *                    (50600 for any 5.6.x, 60100 for any 6.1.x)
 * and the layout-relevant compile flags of the core, from the `flags:` line
 * of `kamailio -v`:
 *   USE_MCAST  adds `mcast` at the end of struct socket_info
 *   USE_COMP   turns the padding of receive_info/dest_info into `comp`
 *   DBG_SR_MEMORY  adds the caller's location to the shm allocator calls
 * USE_FUTEX must be set (the lock layout declared here).
 * Field names follow the core so the bindgen output reads like the C API.
 * kamailio-headers/abi-layouts.txt holds the layouts measured against the
 * core's own headers for each series; tests/abi_layouts.rs compares.
 */
#ifndef KAMAILIO_SCTP_RS_ABI_H
#define KAMAILIO_SCTP_RS_ABI_H

#ifndef KSR_ABI_VERSION
#error "KSR_ABI_VERSION (the core series, e.g. 50600) must be defined"
#endif
#if KSR_ABI_VERSION < 50600 || KSR_ABI_VERSION >= 60300
#error "kamailio_abi.h declares the core ABI of Kamailio 5.6 to 6.2 only"
#endif

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
#if KSR_ABI_VERSION >= 50800
	int proto; /* of the advertised address, from 5.8 */
	int af;
#endif
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
#if KSR_ABI_VERSION >= 60000
	struct action_group {
		char agname[64];
		void *agptr;
	} agroup; /* from 6.0 */
#endif
#if KSR_ABI_VERSION >= 60100
	struct vrf_info {
		str name;
	} vrfinfo; /* from 6.1 */
#endif
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

#if KSR_ABI_VERSION >= 60200
/* the local address of an outbound TCP/TLS connection (6.2); not used here,
 * declared for dest_info's size */
typedef struct ksr_sockaddr {
	ip_addr_t ip;
	unsigned short port;
	char proto;
	unsigned char vset;
} ksr_sockaddr_t;
#endif

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
#if KSR_ABI_VERSION >= 60200
	ksr_sockaddr_t ephemeral;
#endif
} dest_info_t;

/* ---- sr_module.h --------------------------------------------------- */
#define MODULE_INTERFACE_VER 4
#define DEFAULT_DLFLAGS 0
#define PARAM_STRING (1U << 0)
#define PARAM_INT (1U << 1)
#define PARAM_STR (1U << 2)
/* the parameter points to a function the core calls with each value */
#define PARAM_USE_FUNC (1U << 31)

typedef unsigned int modparam_t;
typedef int (*param_func_t)(modparam_t type, void *val);
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

/* rpc_export_t is only pointed to (NULL here); pv_export_t: see pvar.h below */
struct rpc_export;
struct _pv_export;

typedef struct module_exports {
	char *name;
	unsigned int dlflags;
	cmd_export_t *cmds;
	param_export_t *params;
	struct rpc_export *rpc_methods;
	struct _pv_export *pv_items;
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

/* ---- atomic/atomic_*.h, futexlock.h, locking.h --------------------- */
/* With USE_FUTEX and FAST_LOCK (required, see build.rs) gen_lock_t is a
 * futex word: 0 free, 1 taken, 2 taken with waiters. */
typedef struct {
	volatile int val;
} atomic_t;
typedef atomic_t gen_lock_t;

/* ---- mem/memapi.h, mem/shm.h --------------------------------------- */
#ifdef DBG_SR_MEMORY
typedef void *(*sr_malloc_f)(void *mbp, unsigned long size, const char *file,
		const char *func, unsigned int line, const char *mname);
typedef void (*sr_free_f)(void *mbp, void *p, const char *file,
		const char *func, unsigned int line, const char *mname);
#else
typedef void *(*sr_malloc_f)(void *mbp, unsigned long size);
typedef void (*sr_free_f)(void *mbp, void *p);
#endif
typedef void (*sr_any_f)(void); /* members this module never calls */

typedef struct sr_shm_api {
	char *mname;
	void *mem_pool;
	void *mem_block;
	sr_malloc_f xmalloc;
	sr_malloc_f xmallocxz;
	sr_malloc_f xmalloc_unsafe;
	sr_any_f xrealloc;
	sr_any_f xreallocxf;
	sr_any_f xresize;
	sr_free_f xfree;
	sr_free_f xfree_unsafe;
	sr_any_f xstatus;
#if KSR_ABI_VERSION >= 50800
	sr_any_f xstatus_filter;
#endif
	sr_any_f xinfo;
	sr_any_f xreport;
	sr_any_f xavailable;
	sr_any_f xsums;
	sr_any_f xdestroy;
	sr_any_f xmodstats;
	sr_any_f xfmodstats;
	sr_any_f xglock;
	sr_any_f xgunlock;
#if KSR_ABI_VERSION >= 50800
	sr_any_f xsetfunc;
#endif
} sr_shm_api_t;

extern sr_shm_api_t _shm_root;

/* ---- cfg/cfg.h, cfg/cfg_struct.h ------------------------------------ */
#define CFG_VAR_INT 1U
#define CFG_INPUT_SHIFT 3
#define CFG_INPUT_INT (CFG_VAR_INT << CFG_INPUT_SHIFT)
#define CFG_ATOMIC (1U << (2 * CFG_INPUT_SHIFT))
#define CFG_READONLY (1U << (2 * CFG_INPUT_SHIFT + 1))
#define CFG_CB_ONLY_ONCE (1U << (2 * CFG_INPUT_SHIFT + 2))
#define CFG_MAX_VAR_NUM 256

typedef int (*cfg_on_change)(void *, str *, str *, void **);
typedef void (*cfg_on_set_child)(str *, str *);

typedef struct _cfg_def {
	char *name;
	unsigned int type;
	int min;
	int max;
	cfg_on_change on_change_cb;
	cfg_on_set_child on_set_child_cb;
	char *descr;
} cfg_def_t;

typedef struct _cfg_mapping {
	cfg_def_t *def;
	int name_len;
	int pos;
	int offset; /* of the variable within its group's data */
	unsigned int flag;
} cfg_mapping_t;

#pragma pack(push, 1)
typedef struct _cfg_group {
	cfg_mapping_t *mapping;
	char *vars;
	void *add_var;
	int num;
	int size;
	int meta_offset;
	int var_offset; /* of the group's data within a cfg block */
	void **handle;  /* per-process pointer to the group's data */
	void *orig_handle;
	struct _cfg_group *next;
	unsigned int dynamic;
	int name_len;
	char name[1];
} cfg_group_t;

/* one instance of a group with multiple instances */
typedef struct _cfg_group_inst {
	unsigned int id;
	unsigned int set[CFG_MAX_VAR_NUM / (sizeof(int) * 8)]; /* explicitly set */
	unsigned char vars[1];
} cfg_group_inst_t;

typedef struct _cfg_block {
	atomic_t refcnt;
	int _pad;
	unsigned char vars[1];
} cfg_block_t;
#pragma pack(pop)

typedef struct _cfg_child_cb {
	atomic_t refcnt;
	atomic_t cb_count;
	str gname, name;
	cfg_on_set_child cb;
	void **replaced;
	struct _cfg_child_cb *next;
} cfg_child_cb_t;

#define CFG_NO_CHILD_CBS ((void *)(long)(-1))

extern cfg_group_t *cfg_group;
extern cfg_block_t **cfg_global;
extern cfg_block_t *cfg_local;
extern int cfg_block_size;
extern gen_lock_t *cfg_global_lock;
extern cfg_child_cb_t **cfg_child_cb_first;
extern cfg_child_cb_t **cfg_child_cb_last;
extern cfg_child_cb_t *cfg_child_cb;
extern int cfg_ginst_count;

int cfg_declare(char *group_name, cfg_def_t *def, void *values, int def_size,
		void **handler);
cfg_group_t *cfg_lookup_group(char *name, int len);
cfg_mapping_t *cfg_lookup_var2(cfg_group_t *group, char *name, int len);
void cfg_move_handle(cfg_group_t *group, cfg_group_inst_t *src_ginst,
		cfg_group_inst_t *dst_ginst);

/* ---- counters.h ---------------------------------------------------- */
typedef long counter_val_t;
typedef struct counter_handle_s {
	unsigned short id;
} counter_handle_t;
typedef struct counter_val_s {
	counter_val_t v;
} counter_array_t;
typedef counter_val_t (*counter_cbk_f)(counter_handle_t h, void *param);
typedef struct counter_def_s {
	counter_handle_t *handle;
	const char *name;
	int flags;
	counter_cbk_f get_cbk;
	void *get_cbk_param;
	const char *descr;
} counter_def_t;

extern counter_array_t *_cnts_vals; /* one row of counters per process */
extern int _cnts_row_len;
int counter_register_array(const char *group, counter_def_t *defs);
#if KSR_ABI_VERSION >= 60200
/* 6.2: a process may update its row from several threads; the core's inline
 * counter_add then goes through this atomic add, which is right either way */
void counter_add_atomic(counter_handle_t handle, int v);
#endif

/* ---- rpc.h, rpc_lookup.h -------------------------------------------- */
typedef void (*rpc_fault_f)(void *ctx, int code, char *fmt, ...);
typedef int (*rpc_printf_like_f)(void *ctx, char *fmt, ...);
typedef struct rpc {
	rpc_fault_f fault;
	int (*send)(void *ctx);
	rpc_printf_like_f add;
	rpc_printf_like_f scan;
	rpc_printf_like_f rpl_printf;
	rpc_printf_like_f struct_add;
	rpc_printf_like_f array_add;
	rpc_printf_like_f struct_scan;
	int (*struct_printf)(void *ctx, char *name, char *fmt, ...);
	sr_any_f capabilities;
	sr_any_f delayed_ctx_new;
	sr_any_f delayed_ctx_close;
} rpc_t;
typedef void (*rpc_function_t)(rpc_t *rpc, void *ctx);
typedef struct rpc_export {
	const char *name;
	rpc_function_t function;
	const char **doc_str;
	unsigned int flags;
} rpc_export_t;
int rpc_register_array(rpc_export_t *rpc_array);

/* ---- dst_blocklist.h, timer_ticks.h --------------------------------- */
#define BLST_ERR_SEND (1 << 1)
#define BLST_ERR_CONNECT (1 << 2)
#define TIMER_TICKS_HZ 16U
typedef unsigned int ticks_t;
extern unsigned blst_proto_imask[PROTO_OTHER + 1];
int dst_blocklist_force_su_to(unsigned char err_flags, unsigned char proto,
		union sockaddr_union *dst, struct sip_msg *msg, ticks_t timeout);

/* ---- socket_info.h, globals.h --------------------------------------- */
extern struct socket_info *sendipv4_sctp; /* default SCTP send sockets */
extern struct socket_info *sendipv6_sctp;
extern int sctp_disable;
struct socket_info *grep_sock_info(str *host, unsigned short port,
		unsigned short proto);
int parse_phostport(char *s, char **host, int *hlen, int *port, int *proto);

/* ---- parser/msg_parser.h, fmsg.h, route.h, action.h: event routes -- */
/* Event routes run on the core's faked message (fmsg.c), whose `rcv` the
 * module sets to the peer. Only `rcv` of struct sip_msg is used: at the same
 * offset in every series (pinned in abi-layouts.txt); the module never
 * allocates or copies a sip_msg. */
#define KSR_SIP_MSG_RCV_OFFSET 512
typedef struct sip_msg {
	unsigned char ksr_before_rcv[KSR_SIP_MSG_RCV_OFFSET];
	struct receive_info rcv;
	/* the rest is the core's */
} sip_msg_t;

#define REQUEST_ROUTE 1
#define ONEVENT_ROUTE (1 << 9)
#define EVENT_ROUTE (REQUEST_ROUTE | ONEVENT_ROUTE)

struct action;
struct run_act_ctx;
/* the start of the core's route_list (its name index follows) */
struct route_list {
	struct action **rlist; /* the route blocks, by index */
	int idx;               /* first empty entry */
	int entries;
};
extern struct route_list event_rt;
extern int route_type; /* what set_route_type()/get_route_type() use */

int route_lookup(struct route_list *rt, char *name);
int run_top_route(struct action *a, sip_msg_t *msg, struct run_act_ctx *c);
int faked_msg_init(void);
sip_msg_t *faked_msg_next(void);

/* ---- pvar.h: the module's pseudo-variable class ------------------- */
#define PVT_OTHER 22
#define PV_NAME_OTHER 2
struct _pv_value; /* filled by the core's pv_get_* helpers only */
typedef struct _pv_value pv_value_t;

typedef struct _pv_name {
	int type;
	void (*nfree)(void *);
	union {
		struct {
			unsigned short type; /* avp_flags_t */
			str name;            /* avp_name_t (int or str) */
		} isname;
		void *dname; /* PV_NAME_OTHER: the class's own name data */
	} u;
} pv_name_t;

typedef struct _pv_index {
	int type;
	union {
		int ival;
		void *dval;
	} u;
} pv_index_t;

typedef struct _pv_param {
	pv_name_t pvn;
	pv_index_t pvi;
} pv_param_t;

typedef int (*pv_getf_t)(struct sip_msg *, pv_param_t *, pv_value_t *);
typedef int (*pv_setf_t)(struct sip_msg *, pv_param_t *, int, pv_value_t *);

typedef struct _pv_spec {
	int type; /* pv_type_t */
	pv_getf_t getf;
	pv_setf_t setf;
	pv_param_t pvp;
	void *trans;
} pv_spec_t, *pv_spec_p;

typedef int (*pv_parse_name_f)(pv_spec_p sp, str *in);
typedef int (*pv_parse_index_f)(pv_spec_p sp, str *in);
typedef int (*pv_init_param_f)(pv_spec_p sp, int param);

typedef struct _pv_export {
	str name;
	int type; /* pv_type_t */
	pv_getf_t getf;
	pv_setf_t setf;
	pv_parse_name_f parse_name;
	pv_parse_index_f parse_index;
	pv_init_param_f init_param;
	int iparam;
} pv_export_t;

int pv_get_null(struct sip_msg *msg, pv_param_t *param, pv_value_t *res);
#if KSR_ABI_VERSION >= 50700
int pv_get_sintval(struct sip_msg *msg, pv_param_t *param, pv_value_t *res,
		long sival);
#else
int pv_get_sintval(struct sip_msg *msg, pv_param_t *param, pv_value_t *res,
		int sival);
#endif
int pv_get_strval(struct sip_msg *msg, pv_param_t *param, pv_value_t *res,
		str *sval);

#endif /* KAMAILIO_SCTP_RS_ABI_H */
