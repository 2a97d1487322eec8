//! SCTP settings of one association (a declared peer's profile), set on it
//! once it is up: they override, for it alone, what the socket gave it.

use super::options::{set_on, Heartbeat, OptionError, SockOpt};
use super::socket::SctpSocket;

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
    /// The remote UDP port of SCTP over UDP (0: plain SCTP). Set on the
    /// socket while the association is opened (its INIT), never on it once
    /// up: by then the kernel follows the port the peer's packets come from
    /// (a NAT's), which a configured one must not undo.
    pub encap_port: Option<u16>,
}

impl AssocTuning {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether any setting is one `apply` sets on a live association.
    pub fn has_live_settings(&self) -> bool {
        Self { encap_port: None, ..*self } != Self::default()
    }
}

/// Sets `t` on association `assoc_id` of `sock` (every path of it, present
/// and future, for the path settings); returns the options the kernel
/// refused, each on its own.
pub fn apply(sock: SctpSocket<'_>, family: i32, assoc_id: i32, t: &AssocTuning) -> Vec<OptionError> {
    [
        SockOpt::Rto { initial_ms: t.rto_initial_ms, max_ms: t.rto_max_ms, min_ms: t.rto_min_ms },
        SockOpt::AsocMaxRxt(t.asocmaxrxt),
        SockOpt::PeerAddr {
            heartbeat: t.heartbeat.unwrap_or_default(),
            pathmaxrxt: t.pathmaxrxt,
            dscp: t.dscp,
            path_mtu: t.path_mtu,
        },
        SockOpt::Thresholds { pathpfthld: t.pathpfthld, pathmaxrxt: t.pathmaxrxt },
        SockOpt::ProbeInterval(t.plpmtud_interval_ms),
    ]
    .iter()
    .filter_map(|opt| set_on(sock, family, assoc_id, opt).err())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_setting_is_an_empty_tuning() {
        assert!(AssocTuning::default().is_empty());
        assert!(!AssocTuning { dscp: Some(0), ..Default::default() }.is_empty());
        let encap_only = AssocTuning { encap_port: Some(9899), ..Default::default() };
        assert!(!encap_only.is_empty() && !encap_only.has_live_settings(), "set before the INIT, not after");
    }
}
