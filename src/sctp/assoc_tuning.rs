//! SCTP settings of one association (a declared peer's profile), set on it
//! once it is up: they override, for it alone, what the socket gave it.

use super::options::{set_on, Current, Heartbeat, OptionError, SockOpt};
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
    /// No setting.
    pub const NONE: AssocTuning = AssocTuning {
        rto_initial_ms: None,
        rto_min_ms: None,
        rto_max_ms: None,
        asocmaxrxt: None,
        heartbeat: None,
        pathmaxrxt: None,
        pathpfthld: None,
        dscp: None,
        path_mtu: None,
        plpmtud_interval_ms: None,
        encap_port: None,
    };

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// What a socket gives its new associations (`current`), as settings
    /// of one association; `dscp` is the socket's (the core's tos).
    pub fn from_socket(current: &Current, dscp: Option<u8>) -> AssocTuning {
        AssocTuning {
            rto_initial_ms: current.rto_initial_ms,
            rto_min_ms: current.rto_min_ms,
            rto_max_ms: current.rto_max_ms,
            asocmaxrxt: current.asocmaxrxt,
            heartbeat: current.hbinterval_ms.filter(|&ms| ms > 0).map(Heartbeat::IntervalMs),
            pathmaxrxt: current.pathmaxrxt,
            pathpfthld: current.pathpfthld,
            dscp,
            path_mtu: None,
            plpmtud_interval_ms: current.plpmtud_interval_ms,
            encap_port: None,
        }
    }

    /// What to set on a live association whose settings `self` are to
    /// become `next`: `next`'s, and `global`'s (the socket's) for those only
    /// `self` had. A fixed path MTU given up turns path MTU discovery back
    /// on (it goes with the path retransmission limit).
    pub fn change_to(&self, next: &AssocTuning, global: &AssocTuning) -> AssocTuning {
        fn pick<T: Copy>(old: Option<T>, next: Option<T>, global: Option<T>) -> Option<T> {
            next.or(old.and(global))
        }
        let mut t = AssocTuning {
            rto_initial_ms: pick(self.rto_initial_ms, next.rto_initial_ms, global.rto_initial_ms),
            rto_min_ms: pick(self.rto_min_ms, next.rto_min_ms, global.rto_min_ms),
            rto_max_ms: pick(self.rto_max_ms, next.rto_max_ms, global.rto_max_ms),
            asocmaxrxt: pick(self.asocmaxrxt, next.asocmaxrxt, global.asocmaxrxt),
            heartbeat: pick(self.heartbeat, next.heartbeat, global.heartbeat),
            pathmaxrxt: pick(self.pathmaxrxt, next.pathmaxrxt, global.pathmaxrxt),
            pathpfthld: pick(self.pathpfthld, next.pathpfthld, global.pathpfthld),
            dscp: pick(self.dscp, next.dscp, global.dscp),
            path_mtu: next.path_mtu,
            plpmtud_interval_ms: pick(self.plpmtud_interval_ms, next.plpmtud_interval_ms, global.plpmtud_interval_ms),
            encap_port: None,
        };
        if self.path_mtu.is_some() && next.path_mtu.is_none() {
            t.pathmaxrxt = t.pathmaxrxt.or(global.pathmaxrxt);
        }
        t
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
        assert_eq!(AssocTuning::NONE, AssocTuning::default());
    }

    #[test]
    fn a_change_sets_the_new_values_and_puts_back_the_globals_of_the_old_ones() {
        let global = AssocTuning {
            rto_min_ms: Some(1000),
            rto_max_ms: Some(60000),
            pathmaxrxt: Some(5),
            dscp: Some(8),
            ..Default::default()
        };
        let old = AssocTuning { rto_min_ms: Some(100), dscp: Some(46), path_mtu: Some(1200), ..Default::default() };
        let next = AssocTuning { rto_max_ms: Some(300), encap_port: Some(9899), ..Default::default() };
        let t = old.change_to(&next, &global);
        assert_eq!((t.rto_min_ms, t.rto_max_ms, t.dscp), (Some(1000), Some(300), Some(8)), "old back to global");
        assert_eq!((t.path_mtu, t.pathmaxrxt), (None, Some(5)), "fixed MTU given up: discovery back on");
        assert_eq!((t.rto_initial_ms, t.encap_port), (None, None), "untouched, and never the encapsulation");
        let removed = next.change_to(&AssocTuning::NONE, &global);
        assert_eq!((removed.rto_max_ms, removed.rto_min_ms), (Some(60000), None));
    }
}
