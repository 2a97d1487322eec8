#!/bin/sh
# Measures the items of kamailio-headers/abi-items.txt against the real
# headers of a Kamailio source tree, as a Debian x86_64 build compiles them
# (the defines of its `kamailio -v` flags line plus the platform's).
#   scripts/abi-measure.sh KAMAILIO_SOURCE_DIR   (the directory holding src/core)
# Prints the probe's lines; used to write kamailio-headers/abi-layouts.txt.
# Also compiles the function and variable declarations of kamailio_abi.h (and
# its function-pointer types) after the core's own: a declaration that does
# not match the core's is a compile error, and the script fails.
# Needs the Kamailio source, so CI does not run it.
set -eu
src=$(cd "$1" && pwd)/src/core
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/core_headers.h" <<'HDR'
#include "str.h"
#include "ip_addr.h"
#include "sr_module.h"
#include "sctp_core.h"
#include "dprint.h"
#include "locking.h"
#include "mem/shm.h"
#include "cfg/cfg.h"
#include "cfg/cfg_struct.h"
#include "counters.h"
#include "rpc.h"
#include "rpc_lookup.h"
#include "dst_blocklist.h"
#include "timer_ticks.h"
#include "globals.h"
#include "socket_info.h"
#include "receive.h"
#include "parser/msg_parser.h"
#include "route.h"
#include "action.h"
#include "fmsg.h"
#include "pvar.h"
HDR
"$here/abi-probe-gen.sh" core_headers.h > "$tmp/probe.c"
# The series, as build.rs passes it: major*10000 + minor*100.
abi=$(sed -n 's/^VERSION *= *\([0-9]*\).*/\1/p; s/^PATCHLEVEL *= *\([0-9]*\).*/\1/p' "$src/../Makefile.defs" |
	{ read -r maj; read -r min; echo $((maj * 10000 + min * 100)); })
# Flags of Debian's builds (`kamailio -v`), then the platform's (Makefile.defs, linux/x86_64).
defines=$(cat <<'DEFS'
	-DNAME='"kamailio"' -DVERSION='"0"' -DARCH='"x86_64"' -DOS=linux_ -DOS_QUOTED='"linux"' \
	-DCOMPILER='"gcc"' -DVERSIONVAL=0 -DSRNAME='"kamailio"' -DCFG_DIR='"/etc/kamailio/"' \
	-DRUN_DIR='"/run/kamailio"' -DSHARE_DIR='"/usr/share/kamailio/"' \
	-DUSE_TCP -DUSE_TLS -DUSE_SCTP -DTLS_HOOKS -DUSE_RAW_SOCKS -DDISABLE_NAGLE -DUSE_MCAST \
	-DDNS_IP_HACK -DSHM_MMAP -DPKG_MALLOC -DQ_MALLOC -DF_MALLOC -DTLSF_MALLOC -DDBG_SR_MEMORY \
	-DUSE_FUTEX -DFAST_LOCK -DADAPTIVE_WAIT -DADAPTIVE_WAIT_LOOPS=1024 -DUSE_DNS_CACHE \
	-DUSE_DNS_FAILOVER -DUSE_NAPTR -DUSE_DST_BLOCKLIST -DHAVE_RESOLV_RES -DKSR_PTHREAD_MUTEX_SHARED \
	-D__CPU_x86_64 -D__OS_linux -DCC_GCC_LIKE_ASM -DHAVE_GETHOSTBYNAME2 -DHAVE_UNION_SEMUN \
	-DHAVE_SCHED_YIELD -DHAVE_MSG_NOSIGNAL -DHAVE_MSGHDR_MSG_CONTROL -DHAVE_ALLOCA_H -DHAVE_TIMEGM \
	-DHAVE_SCHED_SETSCHEDULER -DHAVE_IP_MREQN -DHAVE_EPOLL -DHAVE_SIGIO_RT -DSIGINFO64_WORKAROUND \
	-DHAVE_SELECT
DEFS
)

# Our declarations after the core's: C rejects a conflicting redeclaration of a
# function, variable or typedef. Our own names for rpc_t's members are compared
# member by member.
{
	echo '#include "core_headers.h"'
	eval "\"$here/abi-decls.sh\" \"$here/../kamailio-headers/kamailio_abi.h\" -DKSR_ABI_VERSION=$abi $defines"
	for m in fault:rpc_fault_f add:rpc_printf_like_f scan:rpc_printf_like_f \
		rpl_printf:rpc_printf_like_f struct_add:rpc_printf_like_f \
		array_add:rpc_printf_like_f struct_scan:rpc_printf_like_f; do
		echo "_Static_assert(__builtin_types_compatible_p(__typeof__(((rpc_t *)0)->${m%%:*}), ${m#*:}), \"rpc_t.${m%%:*}\");"
	done
	echo '_Static_assert(__builtin_types_compatible_p(__typeof__(((rpc_t *)0)->send), int (*)(void *)), "rpc_t.send");'
	echo '_Static_assert(__builtin_types_compatible_p(__typeof__(((rpc_t *)0)->struct_printf), int (*)(void *, char *, char *, ...)), "rpc_t.struct_printf");'
} > "$tmp/decls.c"
eval "cc -fsyntax-only -Werror=incompatible-pointer-types -I\"$tmp\" -I\"$src\" \"$tmp/decls.c\" $defines" >&2
eval "cc -w -o \"$tmp/probe\" -I\"$tmp\" -I\"$src\" \"$tmp/probe.c\" $defines"
"$tmp/probe"
