//! Parsing of SCTP notifications (`union sctp_notification`, RFC 6458 section 6.1)
//! from the bytes recvmsg returned with MSG_NOTIFICATION set.

use super::cmsg::SndRcvInfo;
use super::sys;
use crate::pod::{self, Pod};
use crate::sockaddr::from_sockaddr_bytes;
use std::fmt;
use std::mem::{offset_of, size_of};
use std::net::SocketAddr;

/// State reported by SCTP_ASSOC_CHANGE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssocState {
    CommUp,
    CommLost,
    Restart,
    ShutdownComplete,
    CantStartAssoc,
    Unknown(u16),
}

impl AssocState {
    fn from_raw(v: u16) -> Self {
        match v as u32 {
            sys::SCTP_COMM_UP => Self::CommUp,
            sys::SCTP_COMM_LOST => Self::CommLost,
            sys::SCTP_RESTART => Self::Restart,
            sys::SCTP_SHUTDOWN_COMP => Self::ShutdownComplete,
            sys::SCTP_CANT_STR_ASSOC => Self::CantStartAssoc,
            _ => Self::Unknown(v),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::CommUp => "SCTP_COMM_UP",
            Self::CommLost => "SCTP_COMM_LOST",
            Self::Restart => "SCTP_RESTART",
            Self::ShutdownComplete => "SCTP_SHUTDOWN_COMP",
            Self::CantStartAssoc => "SCTP_CANT_STR_ASSOC",
            Self::Unknown(_) => "UNKNOWN",
        }
    }
}

/// State reported by SCTP_PEER_ADDR_CHANGE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerAddrState {
    Available,
    Unreachable,
    Removed,
    Added,
    MadePrimary,
    Confirmed,
    PotentiallyFailed,
    Unknown(i32),
}

impl PeerAddrState {
    fn from_raw(v: i32) -> Self {
        match v as u32 {
            sys::SCTP_ADDR_AVAILABLE => Self::Available,
            sys::SCTP_ADDR_UNREACHABLE => Self::Unreachable,
            sys::SCTP_ADDR_REMOVED => Self::Removed,
            sys::SCTP_ADDR_ADDED => Self::Added,
            sys::SCTP_ADDR_MADE_PRIM => Self::MadePrimary,
            sys::SCTP_ADDR_CONFIRMED => Self::Confirmed,
            sys::SCTP_ADDR_POTENTIALLY_FAILED => Self::PotentiallyFailed,
            _ => Self::Unknown(v),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Available => "SCTP_ADDR_AVAILABLE",
            Self::Unreachable => "SCTP_ADDR_UNREACHABLE",
            Self::Removed => "SCTP_ADDR_REMOVED",
            Self::Added => "SCTP_ADDR_ADDED",
            Self::MadePrimary => "SCTP_ADDR_MADE_PRIM",
            Self::Confirmed => "SCTP_ADDR_CONFIRMED",
            Self::PotentiallyFailed => "SCTP_ADDR_POTENTIALLY_FAILED",
            Self::Unknown(_) => "UNKNOWN",
        }
    }
}

/// One parsed notification. `SendFailed::data` borrows the undelivered message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notification<'a> {
    AssocChange { state: AssocState, error: u16, outbound_streams: u16, inbound_streams: u16, assoc_id: i32 },
    PeerAddrChange { addr: Option<SocketAddr>, state: PeerAddrState, error: i32, assoc_id: i32 },
    SendFailed { error: u32, flags: u16, info: SndRcvInfo, assoc_id: i32, data: &'a [u8] },
    RemoteError { error: u16, assoc_id: i32 },
    Shutdown { assoc_id: i32 },
    PartialDelivery { aborted: bool, indication: u32, assoc_id: i32 },
    AdaptationIndication { assoc_id: i32 },
    SenderDry { assoc_id: i32 },
    Other { kind: u16 },
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("notification of {len} bytes is shorter than its header")]
    NoHeader { len: usize },
    #[error("{kind} notification too short ({len} bytes instead of {need})")]
    TooShort { kind: &'static str, len: usize, need: usize },
}

/// Bytes needed to read every field of `$t` up to and including `$last`.
macro_rules! need {
    ($t:ty, $last:ident) => {
        offset_of!($t, $last) + size_of_field(|s: &$t| &s.$last)
    };
}

const fn size_of_field<S, F>(_: fn(&S) -> &F) -> usize {
    size_of::<F>()
}

/// Copies a `T` out of the start of `buf` once `buf` holds `need` bytes of it; the
/// rest of `T` (fields we do not read, possibly absent on older kernels) is zero.
fn read_prefix<T: Pod>(buf: &[u8], kind: &'static str, need: usize) -> Result<T, ParseError> {
    if buf.len() < need {
        return Err(ParseError::TooShort { kind, len: buf.len(), need });
    }
    Ok(pod::from_prefix(buf))
}

/// type (u16), flags (u16), length (u32): common to all notifications.
const HEADER_LEN: usize = 8;

/// Parses one notification. `buf` holds what recvmsg returned.
pub fn parse(buf: &[u8]) -> Result<Notification<'_>, ParseError> {
    if buf.len() < HEADER_LEN {
        return Err(ParseError::NoHeader { len: buf.len() });
    }
    let kind = u16::from_ne_bytes([buf[0], buf[1]]);
    Ok(match kind as u32 {
        sys::SCTP_ASSOC_CHANGE => {
            let n: sys::sctp_assoc_change =
                read_prefix(buf, "SCTP_ASSOC_CHANGE", need!(sys::sctp_assoc_change, sac_assoc_id))?;
            Notification::AssocChange {
                state: AssocState::from_raw(n.sac_state),
                error: n.sac_error,
                outbound_streams: n.sac_outbound_streams,
                inbound_streams: n.sac_inbound_streams,
                assoc_id: n.sac_assoc_id,
            }
        }
        sys::SCTP_PEER_ADDR_CHANGE => {
            let n: sys::sctp_paddr_change =
                read_prefix(buf, "SCTP_PEER_ADDR_CHANGE", need!(sys::sctp_paddr_change, spc_assoc_id))?;
            // the address straight from the bytes (those present: all of them, as
            // spc_assoc_id comes after it)
            let at = offset_of!(sys::sctp_paddr_change, spc_aaddr);
            let end = (at + size_of::<sys::sockaddr_storage>()).min(buf.len());
            Notification::PeerAddrChange {
                addr: from_sockaddr_bytes(&buf[at..end]),
                state: PeerAddrState::from_raw(n.spc_state),
                error: n.spc_error,
                assoc_id: n.spc_assoc_id,
            }
        }
        sys::SCTP_SEND_FAILED => {
            let need = size_of::<sys::sctp_send_failed>();
            let n: sys::sctp_send_failed = read_prefix(buf, "SCTP_SEND_FAILED", need)?;
            // ssf_length counts header and data; never trust it beyond what we hold
            let end = (n.ssf_length as usize).clamp(need, buf.len());
            Notification::SendFailed {
                error: n.ssf_error,
                flags: n.ssf_flags,
                info: SndRcvInfo::from(&n.ssf_info),
                assoc_id: n.ssf_assoc_id,
                data: &buf[need..end],
            }
        }
        sys::SCTP_REMOTE_ERROR => {
            let n: sys::sctp_remote_error =
                read_prefix(buf, "SCTP_REMOTE_ERROR", need!(sys::sctp_remote_error, sre_assoc_id))?;
            Notification::RemoteError { error: u16::from_be(n.sre_error), assoc_id: n.sre_assoc_id }
        }
        sys::SCTP_SHUTDOWN_EVENT => {
            let n: sys::sctp_shutdown_event =
                read_prefix(buf, "SCTP_SHUTDOWN_EVENT", need!(sys::sctp_shutdown_event, sse_assoc_id))?;
            Notification::Shutdown { assoc_id: n.sse_assoc_id }
        }
        sys::SCTP_PARTIAL_DELIVERY_EVENT => {
            let n: sys::sctp_pdapi_event =
                read_prefix(buf, "SCTP_PARTIAL_DELIVERY_EVENT", need!(sys::sctp_pdapi_event, pdapi_assoc_id))?;
            Notification::PartialDelivery {
                aborted: n.pdapi_indication == sys::SCTP_PARTIAL_DELIVERY_ABORTED,
                indication: n.pdapi_indication,
                assoc_id: n.pdapi_assoc_id,
            }
        }
        sys::SCTP_ADAPTATION_INDICATION => {
            let n: sys::sctp_adaptation_event =
                read_prefix(buf, "SCTP_ADAPTATION_INDICATION", need!(sys::sctp_adaptation_event, sai_assoc_id))?;
            Notification::AdaptationIndication { assoc_id: n.sai_assoc_id }
        }
        sys::SCTP_SENDER_DRY_EVENT => {
            let n: sys::sctp_sender_dry_event =
                read_prefix(buf, "SCTP_SENDER_DRY_EVENT", need!(sys::sctp_sender_dry_event, sender_dry_assoc_id))?;
            Notification::SenderDry { assoc_id: n.sender_dry_assoc_id }
        }
        _ => Notification::Other { kind },
    })
}

impl fmt::Display for Notification<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AssocChange { state, error, outbound_streams, inbound_streams, assoc_id } => write!(
                f,
                "SCTP_ASSOC_CHANGE: {}: assoc_id {assoc_id}, error {error}, ostreams {outbound_streams}, istreams {inbound_streams}",
                state.name()
            ),
            Self::PeerAddrChange { addr, state, error, assoc_id } => {
                write!(f, "SCTP_PEER_ADDR_CHANGE: ")?;
                match addr {
                    Some(a) => write!(f, "{a}")?,
                    None => write!(f, "(unknown address)")?,
                }
                write!(f, ": {}: error {error}, assoc_id {assoc_id}", state.name())
            }
            Self::SendFailed { error, flags, assoc_id, data, .. } => write!(
                f,
                "SCTP_SEND_FAILED: error {error}, assoc_id {assoc_id}, flags {flags:x}, {} bytes undelivered",
                data.len()
            ),
            Self::RemoteError { error, assoc_id } => {
                write!(f, "SCTP_REMOTE_ERROR: cause {error}, assoc_id {assoc_id}")
            }
            Self::Shutdown { assoc_id } => write!(f, "SCTP_SHUTDOWN_EVENT: assoc_id {assoc_id}"),
            Self::PartialDelivery { aborted, indication, assoc_id } => write!(
                f,
                "SCTP_PARTIAL_DELIVERY_EVENT: indication {indication}{}, assoc_id {assoc_id}",
                if *aborted { " (aborted)" } else { "" }
            ),
            Self::AdaptationIndication { assoc_id } => {
                write!(f, "SCTP_ADAPTATION_INDICATION: assoc_id {assoc_id}")
            }
            Self::SenderDry { assoc_id } => write!(f, "SCTP_SENDER_DRY_EVENT: assoc_id {assoc_id}"),
            Self::Other { kind } => write!(f, "unknown notification type {kind}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::write_field;
    use crate::sockaddr::RawAddr;

    /// The bytes of a `$t` with the given fields set and every other byte zero.
    macro_rules! image {
        ($t:ty { $($f:ident : $v:expr),* $(,)? }) => {{
            let mut b = vec![0u8; size_of::<$t>()];
            $( write_field!(b, $t, $f, $v); )*
            b
        }};
    }

    #[test]
    fn assoc_change_comm_up() {
        let b = image!(sys::sctp_assoc_change {
            sac_type: sys::SCTP_ASSOC_CHANGE as u16,
            sac_length: size_of::<sys::sctp_assoc_change>() as u32,
            sac_state: sys::SCTP_COMM_UP as u16,
            sac_outbound_streams: 10,
            sac_inbound_streams: 5,
            sac_assoc_id: 7,
        });
        let parsed = parse(&b).unwrap();
        assert_eq!(
            parsed,
            Notification::AssocChange {
                state: AssocState::CommUp,
                error: 0,
                outbound_streams: 10,
                inbound_streams: 5,
                assoc_id: 7
            }
        );
        assert!(parsed.to_string().contains("SCTP_COMM_UP: assoc_id 7"));
    }

    #[test]
    fn assoc_change_states() {
        for (raw, st) in [
            (sys::SCTP_COMM_LOST, AssocState::CommLost),
            (sys::SCTP_RESTART, AssocState::Restart),
            (sys::SCTP_SHUTDOWN_COMP, AssocState::ShutdownComplete),
            (sys::SCTP_CANT_STR_ASSOC, AssocState::CantStartAssoc),
            (77, AssocState::Unknown(77)),
        ] {
            let b = image!(sys::sctp_assoc_change { sac_type: sys::SCTP_ASSOC_CHANGE as u16, sac_state: raw as u16 });
            match parse(&b).unwrap() {
                Notification::AssocChange { state, .. } => assert_eq!(state, st),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn truncated_assoc_change_is_an_error() {
        let b = image!(sys::sctp_assoc_change { sac_type: sys::SCTP_ASSOC_CHANGE as u16 });
        let err = parse(&b[..12]).unwrap_err();
        assert_eq!(err, ParseError::TooShort { kind: "SCTP_ASSOC_CHANGE", len: 12, need: 20 });
        assert_eq!(parse(&b[..3]).unwrap_err(), ParseError::NoHeader { len: 3 });
    }

    #[test]
    fn peer_addr_change_carries_the_address() {
        let addr: SocketAddr = "127.0.0.2:5060".parse().unwrap();
        let raw = RawAddr::from_socket_addr(&addr);
        let mut b = image!(sys::sctp_paddr_change {
            spc_type: sys::SCTP_PEER_ADDR_CHANGE as u16,
            spc_state: sys::SCTP_ADDR_UNREACHABLE as i32,
            spc_error: 3,
            spc_assoc_id: 9,
        });
        let at = offset_of!(sys::sctp_paddr_change, spc_aaddr);
        b[at..at + raw.bytes().len()].copy_from_slice(raw.bytes());
        let parsed = parse(&b).unwrap();
        assert_eq!(
            parsed,
            Notification::PeerAddrChange { addr: Some(addr), state: PeerAddrState::Unreachable, error: 3, assoc_id: 9 }
        );
        assert!(parsed.to_string().contains("127.0.0.2:5060: SCTP_ADDR_UNREACHABLE"));
    }

    #[test]
    fn send_failed_exposes_the_undelivered_data() {
        let mut b = image!(sys::sctp_send_failed {
            ssf_type: sys::SCTP_SEND_FAILED as u16,
            ssf_length: (size_of::<sys::sctp_send_failed>() + 7) as u32,
            ssf_error: 0,
            ssf_assoc_id: 4,
        });
        let info = &mut b[offset_of!(sys::sctp_send_failed, ssf_info)..];
        write_field!(info, sys::sctp_sndrcvinfo, sinfo_context, 2);
        b.extend_from_slice(b"INVITE!garbage-after-length");
        match parse(&b).unwrap() {
            Notification::SendFailed { data, info, assoc_id, .. } => {
                assert_eq!(data, b"INVITE!");
                assert_eq!(info.context, 2);
                assert_eq!(assoc_id, 4);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn send_failed_length_beyond_buffer_is_clamped() {
        let mut b = image!(sys::sctp_send_failed { ssf_type: sys::SCTP_SEND_FAILED as u16, ssf_length: 1_000_000 });
        b.extend_from_slice(b"abc");
        match parse(&b).unwrap() {
            Notification::SendFailed { data, .. } => assert_eq!(data, b"abc"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn remote_error_cause_is_host_order() {
        let b = image!(sys::sctp_remote_error {
            sre_type: sys::SCTP_REMOTE_ERROR as u16,
            sre_error: 0x0102u16.to_be(),
            sre_assoc_id: 1,
        });
        assert_eq!(parse(&b).unwrap(), Notification::RemoteError { error: 0x0102, assoc_id: 1 });
    }

    #[test]
    fn shutdown_pdapi_dry_and_unknown() {
        let s = image!(sys::sctp_shutdown_event { sse_type: sys::SCTP_SHUTDOWN_EVENT as u16, sse_assoc_id: 5 });
        assert_eq!(parse(&s).unwrap(), Notification::Shutdown { assoc_id: 5 });
        let p = image!(sys::sctp_pdapi_event {
            pdapi_type: sys::SCTP_PARTIAL_DELIVERY_EVENT as u16,
            pdapi_indication: sys::SCTP_PARTIAL_DELIVERY_ABORTED,
            pdapi_assoc_id: 6,
        });
        // older kernels send the event without stream/seq: 16 bytes are enough
        assert_eq!(
            parse(&p[..16]).unwrap(),
            Notification::PartialDelivery { aborted: true, indication: 0, assoc_id: 6 }
        );
        let d = image!(sys::sctp_sender_dry_event {
            sender_dry_type: sys::SCTP_SENDER_DRY_EVENT as u16,
            sender_dry_assoc_id: 8,
        });
        assert_eq!(parse(&d).unwrap(), Notification::SenderDry { assoc_id: 8 });
        assert_eq!(parse(&[0x01, 0x90, 0, 0, 8, 0, 0, 0]).unwrap(), Notification::Other { kind: 0x9001 });
    }
}
