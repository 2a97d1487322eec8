//! SCTP socket options: applying the module's tuning to a socket, and reading the
//! values a socket (or a fresh one: the OS defaults) has.

use super::socket::SctpSocket;
use super::sys;
use crate::pod::{self, Pod};
use std::io;
use std::mem::size_of;

/// `struct sctp_paddrparams` is `packed, aligned(4)` in the kernel headers, which
/// bindgen cannot express; declared by hand. Size must be exactly 156 bytes: the
/// kernel accepts no other length but older, shorter layouts.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct PeerAddrParams {
    pub assoc_id: i32,
    pub address: libc::sockaddr_storage,
    pub hbinterval: u32,
    pub pathmaxrxt: u16,
    pub pathmtu: u32,
    pub sackdelay: u32,
    pub flags: u32,
    pub ipv6_flowlabel: u32,
    pub dscp: u8,
    _align_pad: u8,
}
const _: () = assert!(size_of::<PeerAddrParams>() == 156);
// integers and a sockaddr_storage (integers) only
crate::pod::unsafe_impl_pod!(PeerAddrParams);

impl PeerAddrParams {
    fn for_family(family: i32) -> Self {
        // all-zero means "no change / socket defaults"
        let mut p: Self = pod::zeroed();
        p.address.ss_family = family as libc::sa_family_t;
        p
    }
}

/// Heartbeat setting: keep the OS default, turn heartbeats off, or an interval (ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Heartbeat {
    #[default]
    OsDefault,
    Disabled,
    IntervalMs(u32),
}

pub use super::assoc_tuning::AssocTuning;

/// What the module sets on every SCTP socket. `None` leaves the OS default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tuning {
    pub rcvbuf: Option<i32>,
    pub sndbuf: Option<i32>,
    pub autoclose_s: u32,
    pub rto_initial_ms: Option<u32>,
    pub rto_max_ms: Option<u32>,
    pub rto_min_ms: Option<u32>,
    pub asocmaxrxt: Option<u16>,
    pub init_max_attempts: Option<u16>,
    pub init_max_timeo_ms: Option<u16>,
    pub heartbeat: Heartbeat,
    pub pathmaxrxt: Option<u16>,
    /// Potentially-failed threshold of each path (SCTP_PEER_ADDR_THLDS).
    pub pathpfthld: Option<u16>,
    pub sack_delay_ms: Option<u32>,
    pub sack_freq: Option<u32>,
    pub max_burst: Option<u32>,
    /// RFC 8899 path MTU probing every so many ms (0: off).
    pub plpmtud_interval_ms: Option<u32>,
    /// The remote UDP port new associations are encapsulated to (RFC 6951;
    /// 0: plain SCTP). `Some` makes it required: a kernel that cannot
    /// encapsulate fails the socket.
    pub encap_port: Option<u16>,
    /// IP TOS / IPv6 traffic class.
    pub tos: Option<i32>,
    /// Allow binding addresses not (yet) configured on the host.
    pub freebind: bool,
}

/// A socket option the kernel refused.
#[derive(Debug, thiserror::Error)]
#[error("{option}: {source}")]
pub struct OptionError {
    pub option: &'static str,
    #[source]
    pub source: io::Error,
}

fn set<T: Pod>(sock: SctpSocket<'_>, level: i32, name: u32, option: &'static str, val: &T) -> Result<(), OptionError> {
    // SAFETY: `val` points to a live T of size_of::<T>() bytes, which the kernel
    // only reads.
    let r = unsafe {
        libc::setsockopt(
            sock.fd(),
            level,
            name as i32,
            val as *const T as *const libc::c_void,
            size_of::<T>() as libc::socklen_t,
        )
    };
    if r == -1 {
        Err(OptionError { option, source: io::Error::last_os_error() })
    } else {
        Ok(())
    }
}

/// Reads an option into `val` (whose other bytes keep their value when the
/// kernel writes fewer).
fn get<T: Pod>(sock: SctpSocket<'_>, level: i32, name: u32, mut val: T) -> Option<T> {
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: `val` is a live, writable T of `len` bytes; the kernel writes at most
    // `len` bytes into it, and any bytes make a valid T (T: Pod).
    let r =
        unsafe { libc::getsockopt(sock.fd(), level, name as i32, &mut val as *mut T as *mut libc::c_void, &mut len) };
    (r == 0).then_some(val)
}

const SCTP: i32 = libc::IPPROTO_SCTP;

/// Applies `t` to a freshly created socket, like the C module does before bind.
/// Returns the options the kernel refused (each worth a warning), or an error
/// when one the transport cannot work without (autoclose, event subscription)
/// was refused.
pub fn apply(sock: SctpSocket<'_>, family: i32, t: &Tuning) -> Result<Vec<OptionError>, OptionError> {
    let mut refused = Vec::new();
    let mut soft = |r: Result<(), OptionError>| {
        if let Err(e) = r {
            refused.push(e)
        }
    };

    if let Some(tos) = t.tos {
        if family == libc::AF_INET6 {
            soft(set(sock, libc::IPPROTO_IPV6, libc::IPV6_TCLASS as u32, "IPV6_TCLASS", &tos));
        } else {
            soft(set(sock, libc::IPPROTO_IP, libc::IP_TOS as u32, "IP_TOS", &tos));
        }
    }
    if t.freebind {
        soft(set(sock, libc::IPPROTO_IP, libc::IP_FREEBIND as u32, "IP_FREEBIND", &1i32));
    }
    if let Some(v) = t.rcvbuf {
        soft(set(sock, libc::SOL_SOCKET, libc::SO_RCVBUF as u32, "SO_RCVBUF", &v));
    }
    if let Some(v) = t.sndbuf {
        soft(set(sock, libc::SOL_SOCKET, libc::SO_SNDBUF as u32, "SO_SNDBUF", &v));
    }
    soft(set(sock, libc::SOL_SOCKET, libc::SO_REUSEADDR as u32, "SO_REUSEADDR", &1i32));
    // partial delivery as rare as the kernel allows: the point as high as it
    // takes (half the receive buffer, which getsockopt reports doubled); and
    // while one association's message is handed over in pieces, the others'
    // messages keep coming (fragment interleave 1: with 0, the kernel holds
    // every other association back until that message ends)
    soft(set(sock, SCTP, sys::SCTP_FRAGMENT_INTERLEAVE, "SCTP_FRAGMENT_INTERLEAVE", &1i32));
    if let Some(rcvbuf) = get(sock, libc::SOL_SOCKET, libc::SO_RCVBUF as u32, 0i32) {
        let pd_point = (rcvbuf / 2).max(1) as u32;
        soft(set(sock, SCTP, sys::SCTP_PARTIAL_DELIVERY_POINT, "SCTP_PARTIAL_DELIVERY_POINT", &pd_point));
    }
    soft(set(sock, SCTP, sys::SCTP_NODELAY, "SCTP_NODELAY", &1i32));
    soft(set(sock, SCTP, sys::SCTP_DISABLE_FRAGMENTS, "SCTP_DISABLE_FRAGMENTS", &0i32));
    // without autoclose, associations whose peer never closes them live forever
    set_one(sock, family, &SockOpt::Autoclose(t.autoclose_s))?;
    for opt in [
        SockOpt::Rto { initial_ms: t.rto_initial_ms, max_ms: t.rto_max_ms, min_ms: t.rto_min_ms },
        SockOpt::AsocMaxRxt(t.asocmaxrxt),
        SockOpt::Init { max_attempts: t.init_max_attempts, max_timeo_ms: t.init_max_timeo_ms },
        SockOpt::PeerAddr { heartbeat: t.heartbeat, pathmaxrxt: t.pathmaxrxt, dscp: None, path_mtu: None },
        SockOpt::DelayedSack { delay_ms: t.sack_delay_ms, freq: t.sack_freq },
        SockOpt::MaxBurst(t.max_burst),
        SockOpt::Thresholds { pathpfthld: t.pathpfthld, pathmaxrxt: t.pathmaxrxt },
        SockOpt::ProbeInterval(t.plpmtud_interval_ms),
    ] {
        soft(set_one(sock, family, &opt));
    }

    if let Some(port) = t.encap_port {
        set_one(sock, family, &SockOpt::EncapPort(port))?;
    }

    // the events the transport acts on or logs
    let ev = sys::sctp_event_subscribe {
        sctp_data_io_event: 1, // SCTP_SNDRCV with every message
        sctp_association_event: 1,
        sctp_address_event: 1,
        sctp_send_failure_event: 1,
        sctp_peer_error_event: 1,
        sctp_shutdown_event: 1,
        sctp_partial_delivery_event: 1,
        ..Default::default()
    };
    set(sock, SCTP, sys::SCTP_EVENTS, "SCTP_EVENTS", &ev)?;
    Ok(refused)
}

/// One association-level option. `None` parts are left as they are (the
/// kernel reads 0 as "no change"); an option with nothing to change is not set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockOpt {
    Autoclose(u32),
    Rto {
        initial_ms: Option<u32>,
        max_ms: Option<u32>,
        min_ms: Option<u32>,
    },
    AsocMaxRxt(Option<u16>),
    Init {
        max_attempts: Option<u16>,
        max_timeo_ms: Option<u16>,
    },
    /// Every path's settings (the wildcard address): a DSCP (0 to 63), or a
    /// fixed path MTU (path MTU discovery off), besides the socket's.
    PeerAddr {
        heartbeat: Heartbeat,
        pathmaxrxt: Option<u16>,
        dscp: Option<u8>,
        path_mtu: Option<u32>,
    },
    DelayedSack {
        delay_ms: Option<u32>,
        freq: Option<u32>,
    },
    MaxBurst(Option<u32>),
    /// The potentially-failed threshold, and with it the path retransmission
    /// limit (set only when there is a threshold to set).
    Thresholds {
        pathpfthld: Option<u16>,
        pathmaxrxt: Option<u16>,
    },
    /// RFC 8899 path MTU probing, every so many ms (0: off).
    ProbeInterval(Option<u32>),
    /// The remote UDP port of SCTP over UDP (0: plain SCTP), of every path;
    /// on the socket, the one its new associations start with (their INIT).
    EncapPort(u16),
}

/// `struct sctp_paddrthlds` for association `assoc_id` (0: the socket's
/// future associations), every path (the wildcard address of `family`).
fn thresholds(family: i32, assoc_id: i32, pathpfthld: u16, pathmaxrxt: Option<u16>) -> sys::sctp_paddrthlds {
    let mut t = sys::sctp_paddrthlds { spt_assoc_id: assoc_id, spt_pathpfthld: pathpfthld, ..Default::default() };
    // 0: keep the path retransmission limit as it is
    t.spt_pathmaxrxt = pathmaxrxt.unwrap_or(0);
    t.spt_address.ss_family = family as libc::sa_family_t;
    t
}

/// `struct sctp_paddrparams` for every path of association `assoc_id` (0: the
/// socket's future associations).
fn peer_addr_params(
    family: i32,
    assoc_id: i32,
    heartbeat: Heartbeat,
    pathmaxrxt: Option<u16>,
    dscp: Option<u8>,
    path_mtu: Option<u32>,
) -> PeerAddrParams {
    let mut pp = PeerAddrParams::for_family(family);
    pp.assoc_id = assoc_id;
    match heartbeat {
        Heartbeat::OsDefault => {}
        Heartbeat::Disabled => pp.flags |= sys::SPP_HB_DISABLE,
        Heartbeat::IntervalMs(ms) => {
            pp.hbinterval = ms;
            pp.flags |= sys::SPP_HB_ENABLE;
        }
    }
    match path_mtu {
        Some(mtu) => {
            pp.pathmtu = mtu;
            pp.flags |= sys::SPP_PMTUD_DISABLE;
        }
        // Linux applies pathmaxrxt only together with a PMTUD flag
        None if pathmaxrxt.is_some() => pp.flags |= sys::SPP_PMTUD_ENABLE,
        None => {}
    }
    if let Some(v) = pathmaxrxt {
        pp.pathmaxrxt = v;
    }
    if let Some(d) = dscp {
        // the DSCP goes in the upper six bits (RFC 6458)
        pp.dscp = d << 2;
        pp.flags |= sys::SPP_DSCP;
    }
    pp
}

/// Sets one association-level option on `sock` (new associations inherit it).
pub fn set_one(sock: SctpSocket<'_>, family: i32, opt: &SockOpt) -> Result<(), OptionError> {
    set_on(sock, family, 0, opt)
}

/// Sets one option on association `assoc_id` of `sock`, or with 0 on the
/// socket (its new associations inherit it). Autoclose and the INIT settings
/// are the socket's only.
pub fn set_on(sock: SctpSocket<'_>, family: i32, assoc_id: i32, opt: &SockOpt) -> Result<(), OptionError> {
    match *opt {
        SockOpt::Autoclose(s) => set(sock, SCTP, sys::SCTP_AUTOCLOSE, "SCTP_AUTOCLOSE", &s),
        SockOpt::Rto { initial_ms: None, max_ms: None, min_ms: None } => Ok(()),
        SockOpt::Rto { initial_ms, max_ms, min_ms } => {
            let rto = sys::sctp_rtoinfo {
                srto_assoc_id: assoc_id,
                srto_initial: initial_ms.unwrap_or(0),
                srto_max: max_ms.unwrap_or(0),
                srto_min: min_ms.unwrap_or(0),
            };
            set(sock, SCTP, sys::SCTP_RTOINFO, "SCTP_RTOINFO", &rto)
        }
        SockOpt::AsocMaxRxt(None) => Ok(()),
        SockOpt::AsocMaxRxt(Some(v)) => {
            let ap = sys::sctp_assocparams { sasoc_assoc_id: assoc_id, sasoc_asocmaxrxt: v, ..Default::default() };
            set(sock, SCTP, sys::SCTP_ASSOCINFO, "SCTP_ASSOCINFO", &ap)
        }
        SockOpt::Init { max_attempts: None, max_timeo_ms: None } => Ok(()),
        SockOpt::Init { max_attempts, max_timeo_ms } => {
            let im = sys::sctp_initmsg {
                sinit_max_attempts: max_attempts.unwrap_or(0),
                sinit_max_init_timeo: max_timeo_ms.unwrap_or(0),
                ..Default::default()
            };
            set(sock, SCTP, sys::SCTP_INITMSG, "SCTP_INITMSG", &im)
        }
        SockOpt::PeerAddr { heartbeat: Heartbeat::OsDefault, pathmaxrxt: None, dscp: None, path_mtu: None } => Ok(()),
        SockOpt::PeerAddr { heartbeat, pathmaxrxt, dscp, path_mtu } => {
            let pp = peer_addr_params(family, assoc_id, heartbeat, pathmaxrxt, dscp, path_mtu);
            set(sock, SCTP, sys::SCTP_PEER_ADDR_PARAMS, "SCTP_PEER_ADDR_PARAMS", &pp)
        }
        SockOpt::DelayedSack { delay_ms: None, freq: None } => Ok(()),
        SockOpt::DelayedSack { delay_ms, freq } => {
            let si = sys::sctp_sack_info {
                sack_assoc_id: assoc_id,
                sack_delay: delay_ms.unwrap_or(0),
                sack_freq: freq.unwrap_or(0),
            };
            set(sock, SCTP, sys::SCTP_DELAYED_SACK, "SCTP_DELAYED_SACK", &si)
        }
        SockOpt::MaxBurst(None) => Ok(()),
        SockOpt::MaxBurst(Some(v)) => {
            let av = sys::sctp_assoc_value { assoc_id, assoc_value: v };
            set(sock, SCTP, sys::SCTP_MAX_BURST, "SCTP_MAX_BURST", &av)
        }
        SockOpt::Thresholds { pathpfthld: None, .. } => Ok(()),
        SockOpt::Thresholds { pathpfthld: Some(pf), pathmaxrxt } => {
            let th = thresholds(family, assoc_id, pf, pathmaxrxt);
            set(sock, SCTP, sys::SCTP_PEER_ADDR_THLDS, "SCTP_PEER_ADDR_THLDS", &th)
        }
        SockOpt::ProbeInterval(None) => Ok(()),
        SockOpt::ProbeInterval(Some(interval)) => {
            let pi = probe_interval(family, assoc_id, interval);
            set(sock, SCTP, sys::SCTP_PLPMTUD_PROBE_INTERVAL, "SCTP_PLPMTUD_PROBE_INTERVAL", &pi)
        }
        SockOpt::EncapPort(port) => {
            let ue = udp_encaps(family, assoc_id, port);
            set(sock, SCTP, sys::SCTP_REMOTE_UDP_ENCAPS_PORT, "SCTP_REMOTE_UDP_ENCAPS_PORT", &ue)
        }
    }
}

/// `struct sctp_udpencaps` for association `assoc_id` (0: the socket's
/// future associations), every path (the wildcard address of `family`); the
/// kernel keeps the port in network byte order.
fn udp_encaps(family: i32, assoc_id: i32, port: u16) -> sys::sctp_udpencaps {
    let mut ue: sys::sctp_udpencaps = pod::zeroed();
    ue.sue_assoc_id = assoc_id;
    ue.sue_address.ss_family = family as libc::sa_family_t;
    ue.sue_port = port.to_be();
    ue
}

/// `struct sctp_probeinterval` for association `assoc_id` (0: the socket's
/// future associations), every path (the wildcard address of `family`).
fn probe_interval(family: i32, assoc_id: i32, interval_ms: u32) -> sys::sctp_probeinterval {
    let mut pi: sys::sctp_probeinterval = pod::zeroed();
    pi.spi_assoc_id = assoc_id;
    pi.spi_address.ss_family = family as libc::sa_family_t;
    pi.spi_interval = interval_ms;
    pi
}

/// The option values a socket has, as the kernel reports them (`None` where the
/// kernel would not say). Buffer sizes are what was asked for (Linux doubles them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Current {
    pub rcvbuf: Option<i32>,
    pub sndbuf: Option<i32>,
    pub autoclose_s: Option<u32>,
    pub rto_initial_ms: Option<u32>,
    pub rto_max_ms: Option<u32>,
    pub rto_min_ms: Option<u32>,
    pub asocmaxrxt: Option<u16>,
    pub init_max_attempts: Option<u16>,
    pub init_max_timeo_ms: Option<u16>,
    pub hbinterval_ms: Option<u32>,
    pub pathmaxrxt: Option<u16>,
    pub sack_delay_ms: Option<u32>,
    pub sack_freq: Option<u32>,
    pub max_burst: Option<u32>,
    pub pathpfthld: Option<u16>,
    pub plpmtud_interval_ms: Option<u32>,
    /// The remote UDP port new associations start with (0: plain SCTP).
    pub encap_port: Option<u16>,
}

/// Reads the current option values of `sock`.
pub fn read(sock: SctpSocket<'_>, family: i32) -> Current {
    let rto = get(sock, SCTP, sys::SCTP_RTOINFO, sys::sctp_rtoinfo::default());
    let im = get(sock, SCTP, sys::SCTP_INITMSG, sys::sctp_initmsg::default());
    let pp = get(sock, SCTP, sys::SCTP_PEER_ADDR_PARAMS, PeerAddrParams::for_family(family));
    let sack = get(sock, SCTP, sys::SCTP_DELAYED_SACK, sys::sctp_sack_info::default());
    Current {
        rcvbuf: get(sock, libc::SOL_SOCKET, libc::SO_RCVBUF as u32, 0i32).map(|v| v / 2),
        sndbuf: get(sock, libc::SOL_SOCKET, libc::SO_SNDBUF as u32, 0i32).map(|v| v / 2),
        autoclose_s: get(sock, SCTP, sys::SCTP_AUTOCLOSE, 0u32),
        rto_initial_ms: rto.map(|r| r.srto_initial),
        rto_max_ms: rto.map(|r| r.srto_max),
        rto_min_ms: rto.map(|r| r.srto_min),
        asocmaxrxt: get(sock, SCTP, sys::SCTP_ASSOCINFO, sys::sctp_assocparams::default()).map(|a| a.sasoc_asocmaxrxt),
        init_max_attempts: im.map(|i| i.sinit_max_attempts),
        init_max_timeo_ms: im.map(|i| i.sinit_max_init_timeo),
        hbinterval_ms: pp.map(|p| p.hbinterval),
        pathmaxrxt: pp.map(|p| p.pathmaxrxt),
        sack_delay_ms: sack.map(|s| s.sack_delay),
        sack_freq: sack.map(|s| s.sack_freq),
        max_burst: get(sock, SCTP, sys::SCTP_MAX_BURST, sys::sctp_assoc_value::default()).map(|a| a.assoc_value),
        pathpfthld: get(sock, SCTP, sys::SCTP_PEER_ADDR_THLDS, thresholds(family, 0, 0, None))
            .map(|t| t.spt_pathpfthld),
        plpmtud_interval_ms: get(sock, SCTP, sys::SCTP_PLPMTUD_PROBE_INTERVAL, probe_interval(family, 0, 0))
            .map(|p| p.spi_interval),
        encap_port: get(sock, SCTP, sys::SCTP_REMOTE_UDP_ENCAPS_PORT, udp_encaps(family, 0, 0))
            .map(|u| u16::from_be(u.sue_port)),
    }
}

/// The OS defaults: the values of a fresh IPv4 SCTP socket. Fails where the kernel
/// has no SCTP.
pub fn os_defaults() -> io::Result<Current> {
    use std::os::fd::AsFd;
    let fd = super::socket::open_one_to_many(&"0.0.0.0:0".parse().unwrap())?;
    Ok(read(SctpSocket::new(fd.as_fd()), libc::AF_INET))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    #[test]
    fn peer_addr_params_layout_matches_the_kernel() {
        // offsets of include/uapi/linux/sctp.h, packed
        assert_eq!(offset_of!(PeerAddrParams, address), 4);
        assert_eq!(offset_of!(PeerAddrParams, hbinterval), 132);
        assert_eq!(offset_of!(PeerAddrParams, pathmaxrxt), 136);
        assert_eq!(offset_of!(PeerAddrParams, pathmtu), 138);
        assert_eq!(offset_of!(PeerAddrParams, flags), 146);
        assert_eq!(offset_of!(PeerAddrParams, dscp), 154);
    }

    #[test]
    fn path_settings_become_one_peer_addr_params_for_every_path() {
        let pp = peer_addr_params(libc::AF_INET, 7, Heartbeat::IntervalMs(1000), Some(2), Some(46), None);
        let (assoc_id, flags, hb, rxt, dscp, mtu) =
            (pp.assoc_id, pp.flags, pp.hbinterval, pp.pathmaxrxt, pp.dscp, pp.pathmtu);
        assert_eq!((assoc_id, hb, rxt, dscp, mtu), (7, 1000, 2, 46 << 2, 0));
        assert_eq!(flags, sys::SPP_HB_ENABLE | sys::SPP_PMTUD_ENABLE | sys::SPP_DSCP);
        let address = pp.address;
        assert_eq!(address.ss_family, libc::AF_INET as libc::sa_family_t, "the wildcard: every path");
        let pp = peer_addr_params(libc::AF_INET6, 3, Heartbeat::Disabled, None, None, Some(1200));
        let (flags, mtu) = (pp.flags, pp.pathmtu);
        assert_eq!((flags, mtu), (sys::SPP_HB_DISABLE | sys::SPP_PMTUD_DISABLE, 1200));
    }

    #[test]
    #[cfg_attr(miri, ignore = "needs a real socket")]
    fn a_socket_that_is_not_sctp_fails_cleanly() {
        use std::os::fd::AsFd;
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let s = SctpSocket::new(udp.as_fd());
        let c = read(s, libc::AF_INET);
        assert_eq!((c.rto_initial_ms, c.autoclose_s, c.hbinterval_ms), (None, None, None));
        assert!(c.rcvbuf.is_some(), "socket-level options work on any socket");
        assert!(set_one(s, libc::AF_INET, &SockOpt::Autoclose(5)).is_err());
    }

    #[test]
    fn other_option_structs_have_kernel_sizes() {
        assert_eq!(size_of::<sys::sctp_rtoinfo>(), 16);
        assert_eq!(size_of::<sys::sctp_initmsg>(), 8);
        assert_eq!(size_of::<sys::sctp_sack_info>(), 12);
        assert_eq!(size_of::<sys::sctp_assoc_value>(), 8);
        assert_eq!(size_of::<sys::sctp_sndrcvinfo>(), 32);
        // the kernel's struct sctp_paddrthlds: not packed, the address at 8
        assert_eq!(size_of::<sys::sctp_paddrthlds>(), 144);
        assert_eq!(std::mem::offset_of!(sys::sctp_paddrthlds, spt_pathpfthld), 138);
        // include/uapi/linux/sctp.h, not packed: the port after the address
        assert_eq!(size_of::<sys::sctp_udpencaps>(), 144);
        assert_eq!(std::mem::offset_of!(sys::sctp_udpencaps, sue_port), 136);
    }

    #[test]
    fn the_encapsulation_port_goes_in_network_byte_order_for_every_path() {
        let ue = udp_encaps(libc::AF_INET6, 0, 9899);
        assert_eq!(ue.sue_port.to_ne_bytes(), [0x26, 0xab], "9899 as on the wire");
        assert_eq!((ue.sue_assoc_id, ue.sue_address.ss_family), (0, libc::AF_INET6 as libc::sa_family_t));
    }
}
