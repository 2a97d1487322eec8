//! The kernel's SCTP settings that change what the transport can promise.

use std::fs;
use std::io;

const UDP_PORT: &str = "/proc/sys/net/sctp/udp_port";

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

/// `net.sctp.udp_port` of this network namespace: the UDP port the kernel
/// takes SCTP over UDP on, and that sockets made afterwards send it from (0:
/// off). NotFound on kernels before 5.11.
pub fn udp_port() -> io::Result<u16> {
    let text = fs::read_to_string(UDP_PORT)?;
    text.trim().parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("{UDP_PORT}: \"{text}\"")))
}

/// Sets `net.sctp.udp_port`: the kernel opens its UDP sockets on the port
/// at once and fails the write when it cannot (EADDRINUSE: the port is
/// taken; EACCES/EPERM/EROFS: no permission).
pub fn set_udp_port(port: u16) -> io::Result<()> {
    fs::write(UDP_PORT, format!("{port}\n"))
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
