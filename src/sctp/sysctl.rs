//! The kernel's SCTP settings that change what the transport can promise.

use std::fs;

/// `net.sctp.sndbuf_policy`: 0 (the kernel's default) makes all associations
/// of a socket share its send buffer, 1 gives each association its own.
/// `None` where it cannot be read (no SCTP, no /proc).
pub fn sndbuf_policy() -> Option<u32> {
    parse_flag(&fs::read_to_string("/proc/sys/net/sctp/sndbuf_policy").ok()?)
}

/// `net.sctp.rcvbuf_policy`: 0 (the kernel's default) makes all associations
/// of a socket share its receive buffer, 1 gives each association its own.
pub fn rcvbuf_policy() -> Option<u32> {
    parse_flag(&fs::read_to_string("/proc/sys/net/sctp/rcvbuf_policy").ok()?)
}

fn parse_flag(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_number_procfs_writes() {
        assert_eq!(super::parse_flag("0\n"), Some(0));
        assert_eq!(super::parse_flag("1\n"), Some(1));
        assert_eq!(super::parse_flag(""), None);
    }
}
