//! SCTP settings of one association (a declared peer's profile), set on it
//! once it is up: they override, for it alone, what the socket gave it.

use super::options::{set, Heartbeat, OptionError, PeerAddrParams, SCTP};
use super::socket::SctpSocket;
use super::sys;
use crate::pod;

/// Per-association settings; `None` keeps what the association has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssocTuning {
    pub rto_initial_ms: Option<u32>,
    pub rto_min_ms: Option<u32>,
    pub rto_max_ms: Option<u32>,
    pub asocmaxrxt: Option<u16>,
    pub heartbeat: Option<Heartbeat>,
    pub pathmaxrxt: Option<u16>,
    /// Retransmissions before a path is potentially failed (0: at the first).
    pub pathpfthld: Option<u16>,
    /// DSCP of every packet of the association (0 to 63).
    pub dscp: Option<u8>,
    /// A fixed path MTU (path MTU discovery off).
    pub path_mtu: Option<u32>,
    /// RFC 8899 probing for the path MTU, every so many ms (0: off).
    pub plpmtud_interval_ms: Option<u32>,
}

impl AssocTuning {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Sets `t` on association `assoc_id` of `sock` (every path of it, present
/// and future, for the path settings); returns the options the kernel
/// refused, each on its own.
pub fn apply(sock: SctpSocket<'_>, family: i32, assoc_id: i32, t: &AssocTuning) -> Vec<OptionError> {
    let mut refused = Vec::new();
    let mut try_set = |r: Result<(), OptionError>| {
        if let Err(e) = r {
            refused.push(e);
        }
    };
    if t.rto_initial_ms.is_some() || t.rto_min_ms.is_some() || t.rto_max_ms.is_some() {
        // 0: keep
        let rto = sys::sctp_rtoinfo {
            srto_assoc_id: assoc_id,
            srto_initial: t.rto_initial_ms.unwrap_or(0),
            srto_max: t.rto_max_ms.unwrap_or(0),
            srto_min: t.rto_min_ms.unwrap_or(0),
        };
        try_set(set(sock, SCTP, sys::SCTP_RTOINFO, "SCTP_RTOINFO", &rto));
    }
    if let Some(v) = t.asocmaxrxt {
        let ap = sys::sctp_assocparams { sasoc_assoc_id: assoc_id, sasoc_asocmaxrxt: v, ..Default::default() };
        try_set(set(sock, SCTP, sys::SCTP_ASSOCINFO, "SCTP_ASSOCINFO", &ap));
    }
    if let Some(pp) = peer_addr_params(family, assoc_id, t) {
        try_set(set(sock, SCTP, sys::SCTP_PEER_ADDR_PARAMS, "SCTP_PEER_ADDR_PARAMS", &pp));
    }
    if let Some(pf) = t.pathpfthld {
        let mut th: sys::sctp_paddrthlds = pod::zeroed();
        th.spt_assoc_id = assoc_id;
        th.spt_address.ss_family = family as libc::sa_family_t;
        th.spt_pathpfthld = pf;
        // 0: keep the path retransmission limit
        th.spt_pathmaxrxt = t.pathmaxrxt.unwrap_or(0);
        try_set(set(sock, SCTP, sys::SCTP_PEER_ADDR_THLDS, "SCTP_PEER_ADDR_THLDS", &th));
    }
    if let Some(interval) = t.plpmtud_interval_ms {
        let mut pi: sys::sctp_probeinterval = pod::zeroed();
        pi.spi_assoc_id = assoc_id;
        pi.spi_address.ss_family = family as libc::sa_family_t;
        pi.spi_interval = interval;
        try_set(set(sock, SCTP, sys::SCTP_PLPMTUD_PROBE_INTERVAL, "SCTP_PLPMTUD_PROBE_INTERVAL", &pi));
    }
    refused
}

/// SCTP_PEER_ADDR_PARAMS for every path of the association (the wildcard
/// address), when `t` has a path setting.
fn peer_addr_params(family: i32, assoc_id: i32, t: &AssocTuning) -> Option<PeerAddrParams> {
    if t.heartbeat.is_none() && t.pathmaxrxt.is_none() && t.dscp.is_none() && t.path_mtu.is_none() {
        return None;
    }
    let mut pp = PeerAddrParams::for_family(family);
    pp.assoc_id = assoc_id;
    match t.heartbeat {
        None | Some(Heartbeat::OsDefault) => {}
        Some(Heartbeat::Disabled) => pp.flags |= sys::SPP_HB_DISABLE,
        Some(Heartbeat::IntervalMs(ms)) => {
            pp.hbinterval = ms;
            pp.flags |= sys::SPP_HB_ENABLE;
        }
    }
    match t.path_mtu {
        Some(mtu) => {
            pp.pathmtu = mtu;
            pp.flags |= sys::SPP_PMTUD_DISABLE;
        }
        // Linux applies pathmaxrxt only together with a PMTUD flag
        None if t.pathmaxrxt.is_some() => pp.flags |= sys::SPP_PMTUD_ENABLE,
        None => {}
    }
    if let Some(v) = t.pathmaxrxt {
        pp.pathmaxrxt = v;
    }
    if let Some(d) = t.dscp {
        // the DSCP goes in the upper six bits (RFC 6458)
        pp.dscp = d << 2;
        pp.flags |= sys::SPP_DSCP;
    }
    Some(pp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_settings_become_one_peer_addr_params_for_every_path() {
        assert!(peer_addr_params(libc::AF_INET, 7, &AssocTuning::default()).is_none());
        let t = AssocTuning { heartbeat: Some(Heartbeat::IntervalMs(1000)), pathmaxrxt: Some(2), dscp: Some(46), ..Default::default() };
        let pp = peer_addr_params(libc::AF_INET, 7, &t).unwrap();
        let (assoc_id, flags, hb, rxt, dscp, mtu) = (pp.assoc_id, pp.flags, pp.hbinterval, pp.pathmaxrxt, pp.dscp, pp.pathmtu);
        assert_eq!((assoc_id, hb, rxt, dscp, mtu), (7, 1000, 2, 46 << 2, 0));
        assert_eq!(flags, sys::SPP_HB_ENABLE | sys::SPP_PMTUD_ENABLE | sys::SPP_DSCP);
        let address = pp.address;
        assert_eq!(address.ss_family, libc::AF_INET as libc::sa_family_t, "the wildcard: every path");
        let fixed = AssocTuning { path_mtu: Some(1200), heartbeat: Some(Heartbeat::Disabled), ..Default::default() };
        let pp = peer_addr_params(libc::AF_INET6, 3, &fixed).unwrap();
        let (flags, mtu) = (pp.flags, pp.pathmtu);
        assert_eq!((flags, mtu), (sys::SPP_HB_DISABLE | sys::SPP_PMTUD_DISABLE, 1200));
    }
}
