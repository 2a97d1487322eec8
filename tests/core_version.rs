//! How build.rs reads `kamailio -v` (build/core_version.rs).
#[path = "../build/core_version.rs"]
mod core_version;
use core_version::*;

#[test]
fn make_built_version_line() {
    // Debian bookworm (make build); the line ends with a space after the
    // empty repository version
    let (full, series) = parse_version_line("kamailio 5.6.3 (x86_64/linux) ").unwrap();
    assert_eq!(full, "kamailio 5.6.3 (x86_64/linux)");
    assert_eq!(series, (5, 6));
}

#[test]
fn cmake_built_version_line() {
    // Debian sid (CMake build): the OS is spelled as CMake names it
    let (full, series) = parse_version_line("kamailio 6.1.5 (x86_64/Linux)").unwrap();
    assert_eq!(full, "kamailio 6.1.5 (x86_64/Linux)");
    assert_eq!(series, (6, 1));
}

#[test]
fn repository_version_is_not_part_of_the_compared_string() {
    let (full, series) = parse_version_line("kamailio 5.8.0-dev2 (x86_64/linux) 4a8b1c").unwrap();
    assert_eq!(full, "kamailio 5.8.0-dev2 (x86_64/linux)");
    assert_eq!(series, (5, 8));
}

#[test]
fn development_core_version_line() {
    // master built with make while 6.2 was in development
    let (full, series) = parse_version_line("kamailio 6.2.0-dev1 (x86_64/linux) ").unwrap();
    assert_eq!(full, "kamailio 6.2.0-dev1 (x86_64/linux)");
    assert_eq!(series, (6, 2));
}

#[test]
fn not_a_version_line() {
    assert!(parse_version_line("ser 0.9.6 (i386/linux)").is_none());
    assert!(parse_version_line("kamailio 5.6.3").is_none());
}

#[test]
fn series_is_the_abi_selector() {
    assert_eq!(abi_version(5, 6), 50600);
    assert_eq!(abi_version(6, 1), 60100);
    assert!(SUPPORTED_SERIES.contains(&(6, 0)));
    assert!(SUPPORTED_SERIES.contains(&(6, 2)));
    assert!(!SUPPORTED_SERIES.contains(&(5, 5)));
    assert!(!SUPPORTED_SERIES.contains(&(6, 3)));
}

// The `flags:` lines printed by Debian's kamailio packages (bookworm 5.6.3, sid
// 6.1.5); sid's C module carries the compared string checked below.
const BOOKWORM_FLAGS: &str = "USE_TCP, USE_TLS, USE_SCTP, TLS_HOOKS, USE_RAW_SOCKS, DISABLE_NAGLE, USE_MCAST, DNS_IP_HACK, SHM_MMAP, PKG_MALLOC, Q_MALLOC, F_MALLOC, TLSF_MALLOC, DBG_SR_MEMORY, USE_FUTEX, FAST_LOCK-ADAPTIVE_WAIT, USE_DNS_CACHE, USE_DNS_FAILOVER, USE_NAPTR, USE_DST_BLOCKLIST, HAVE_RESOLV_RES, TLS_PTHREAD_MUTEX_SHARED";
const SID_FLAGS: &str = "USE_TCP, USE_TLS, USE_SCTP, TLS_HOOKS, USE_RAW_SOCKS, DISABLE_NAGLE, USE_MCAST, DNS_IP_HACK, SHM_MMAP, PKG_MALLOC, MEM_JOIN_FREE, Q_MALLOC, F_MALLOC, TLSF_MALLOC, DBG_SR_MEMORY, DBG_QM_MALLOC, DBG_F_MALLOC, DBG_TLSF_MALLOC, USE_FUTEX, USE_DNS_CACHE, USE_DNS_FAILOVER, USE_NAPTR, USE_DST_BLOCKLIST, HAVE_RESOLV_RES, TLS_PTHREAD_MUTEX_SHARED";

#[test]
fn before_6_1_the_compared_flags_are_the_printed_ones() {
    assert_eq!(compared_flags(BOOKWORM_FLAGS, (5, 6)), BOOKWORM_FLAGS);
    // a 6.0 core never prints the DBG_*_MALLOC items; nothing is taken away
    assert_eq!(compared_flags(BOOKWORM_FLAGS, (6, 0)), BOOKWORM_FLAGS);
}

#[test]
fn from_6_1_the_allocator_debug_items_are_not_compared() {
    assert_eq!(
        compared_flags(SID_FLAGS, (6, 1)),
        "USE_TCP, USE_TLS, USE_SCTP, TLS_HOOKS, USE_RAW_SOCKS, DISABLE_NAGLE, USE_MCAST, DNS_IP_HACK, SHM_MMAP, PKG_MALLOC, MEM_JOIN_FREE, Q_MALLOC, F_MALLOC, TLSF_MALLOC, DBG_SR_MEMORY, USE_FUTEX, USE_DNS_CACHE, USE_DNS_FAILOVER, USE_NAPTR, USE_DST_BLOCKLIST, HAVE_RESOLV_RES, TLS_PTHREAD_MUTEX_SHARED"
    );
}

#[test]
fn flags_without_a_leading_item_keep_their_shape() {
    // without USE_TCP the core's string starts with ", "
    assert_eq!(compared_flags(", USE_SCTP, DBG_SR_MEMORY, DBG_QM_MALLOC", (6, 1)), ", USE_SCTP, DBG_SR_MEMORY");
}

#[test]
fn flag_items_are_the_comma_separated_names() {
    let items: Vec<&str> = flag_items(BOOKWORM_FLAGS).collect();
    assert_eq!(items.len(), 22);
    assert!(items.contains(&"FAST_LOCK-ADAPTIVE_WAIT"));
    assert!(!flag_items(SID_FLAGS).any(|f| f.starts_with("FAST_LOCK")));
}
