//! The script's routes for SCTP events: `event_route[sctp:assoc-up]`,
//! `[sctp:assoc-down]`, `[sctp:path-change]`, `[sctp:send-failed]` and
//! `[sctp:assoc-stalled]`, and the `$sctp(...)` variables they read.
//!
//! Each notification is read by one receiver, which runs the route once, on the core's faked message whose
//! source is the peer: `$si`/`$sp` are the address and port the kernel gives
//! with the notification (the peer's primary path). The routes are looked up
//! once, at mod_init; an event whose route the script lacks costs nothing.

use super::tracking;
use crate::kam::net::{ReceiveInfo, SocketInfo};
use crate::kam::pv::PvValue;
use crate::kam::route::{lookup_event_route, run_event_route, EventRoute};
use crate::sctp::notification::{AssocState, Notification, PeerAddrState};
use crate::shared::assoc_table::AssocKey;
use crate::sockaddr::RawAddr;
use std::cell::RefCell;
use std::ffi::CStr;
use std::net::SocketAddr;
use std::sync::OnceLock;

/// The events the script can have a route for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    AssocUp,
    AssocDown,
    PathChange,
    SendFailed,
    /// Found by the stall watchdog, not a notification.
    AssocStalled,
}

impl Event {
    const ALL: [Event; 5] =
        [Event::AssocUp, Event::AssocDown, Event::PathChange, Event::SendFailed, Event::AssocStalled];

    pub fn route_name(self) -> &'static CStr {
        match self {
            Event::AssocUp => c"sctp:assoc-up",
            Event::AssocDown => c"sctp:assoc-down",
            Event::PathChange => c"sctp:path-change",
            Event::SendFailed => c"sctp:send-failed",
            Event::AssocStalled => c"sctp:assoc-stalled",
        }
    }
}

/// The DATA chunk flag "first piece of a message" (B bit, RFC 9260 3.3.1),
/// which Linux hands back in SCTP_SEND_FAILED's sinfo_flags: a message the
/// kernel split comes back one chunk per notification, and only its first
/// chunk has it (an unsplit message has both B and E).
const FIRST_PIECE: u16 = 0x02;

/// Which route a notification calls for, if any.
pub fn event_of(n: &Notification<'_>) -> Option<Event> {
    match *n {
        Notification::AssocChange { state: AssocState::CommUp, .. } => Some(Event::AssocUp),
        Notification::AssocChange { state: AssocState::CommLost | AssocState::ShutdownComplete, .. } => {
            Some(Event::AssocDown)
        }
        Notification::PeerAddrChange { .. } => Some(Event::PathChange),
        // one route per message: on its first piece only
        Notification::SendFailed { ref info, .. } if info.flags & FIRST_PIECE != 0 => Some(Event::SendFailed),
        _ => None,
    }
}

/// What a route sees in `$sctp(...)` besides the connection id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventVars {
    assoc_id: i32,
    assoc_state: Option<&'static str>,
    path_addr: Option<String>,
    path_state: Option<&'static str>,
    error: u32,
}

fn without_prefix(name: &'static str) -> &'static str {
    name.strip_prefix("SCTP_").unwrap_or(name)
}

pub fn vars_of(n: &Notification<'_>) -> EventVars {
    match *n {
        Notification::AssocChange { state, error, assoc_id, .. } => EventVars {
            assoc_id,
            assoc_state: Some(without_prefix(state.name())),
            error: error.into(),
            ..Default::default()
        },
        Notification::PeerAddrChange { addr, state, error, assoc_id } => EventVars {
            assoc_id,
            path_addr: addr.map(|a| a.ip().to_string()),
            path_state: Some(path_state_name(state)),
            error: error as u32,
            ..Default::default()
        },
        Notification::SendFailed { error, assoc_id, .. } => EventVars { assoc_id, error, ..Default::default() },
        _ => EventVars::default(),
    }
}

fn path_state_name(s: PeerAddrState) -> &'static str {
    without_prefix(s.name())
}

static ROUTES: OnceLock<[Option<EventRoute>; Event::ALL.len()]> = OnceLock::new();

/// Looks the routes up, once (mod_init: the config is parsed; the processes
/// forked later inherit the result).
pub fn init() {
    let routes = Event::ALL.map(|e| {
        let r = lookup_event_route(e.route_name());
        if r.is_some() {
            log::debug!("event_route[{}] found", e.route_name().to_string_lossy());
        }
        r
    });
    let _ = ROUTES.set(routes);
}

fn route_for(e: Event) -> Option<EventRoute> {
    ROUTES.get()?[e as usize]
}

/// Runs the script's route for a notification, if it has one. `accounted_id`:
/// the connection id the in-order accounting saw (assoc-up: just tracked;
/// assoc-down: just forgotten); for the other events the association's id is
/// looked up now (0 when it is no longer tracked, as on a SEND_FAILED that
/// follows its COMM_LOST).
pub fn on_notification(
    sock: SocketInfo<'_>,
    from: Option<SocketAddr>,
    n: &Notification<'_>,
    accounted_id: i32,
    tracking: bool,
) {
    let Some(event) = event_of(n) else { return };
    let Some(route) = route_for(event) else { return };
    let Some(peer) = from else {
        log::debug!(
            "{sock}: no peer address with the notification, event_route[{}] not run",
            event.route_name().to_string_lossy()
        );
        return;
    };
    let vars = vars_of(n);
    let conn_id = match event {
        Event::AssocUp | Event::AssocDown => accounted_id,
        Event::PathChange | Event::SendFailed if tracking => {
            tracking::conn_id_of(AssocKey { sock: sock.fd(), assoc_id: vars.assoc_id }).map_or(0, |id| id as i32)
        }
        _ => 0,
    };
    run(sock, event, route, &peer, conn_id, vars);
}

/// Runs `event_route[sctp:assoc-stalled]`, if the script has it, for
/// association `assoc_id` whose primary path goes to `peer`.
pub fn on_stall(sock: SocketInfo<'_>, peer: &SocketAddr, assoc_id: i32, conn_id: i32) {
    let Some(route) = route_for(Event::AssocStalled) else { return };
    let vars = EventVars { assoc_id, assoc_state: Some("STALLED"), ..Default::default() };
    run(sock, Event::AssocStalled, route, peer, conn_id, vars);
}

fn run(sock: SocketInfo<'_>, event: Event, route: EventRoute, peer: &SocketAddr, conn_id: i32, vars: EventVars) {
    let mut rcv = ReceiveInfo::for_socket(sock);
    rcv.set_source(&RawAddr::from_socket_addr(peer), peer, conn_id);
    log::debug!("{sock}: running event_route[{}] for {peer} (id {conn_id})", event.route_name().to_string_lossy());
    CURRENT.with(|c| *c.borrow_mut() = Some(vars));
    let ran = run_event_route(route, &rcv);
    CURRENT.with(|c| *c.borrow_mut() = None);
    if !ran {
        log::error!(
            "{sock}: event_route[{}] not run: the core has no faked message",
            event.route_name().to_string_lossy()
        );
    }
}

thread_local! {
    /// The event whose route runs now in this (single-threaded) process.
    static CURRENT: RefCell<Option<EventVars>> = const { RefCell::new(None) };
}

/// The keys of `$sctp(KEY)`.
const PV_KEYS: [&str; 6] = ["conid", "assoc_id", "assoc_state", "path_addr", "path_state", "error"];

/// The index of a `$sctp(KEY)` key, when the script is loaded.
pub fn pv_key(name: &[u8]) -> Option<usize> {
    PV_KEYS.iter().position(|k| k.as_bytes() == name)
}

/// The names `$sctp(...)` accepts, for the error message.
pub fn pv_keys() -> String {
    PV_KEYS.join(", ")
}

/// Reads `$sctp(KEY)` and hands the value to `answer`. `conn_id`: that of
/// the message the script handles, `None` when it did not come over SCTP.
/// Outside an event route only `conid` has a value.
pub fn pv_value<R>(key: usize, conn_id: Option<i32>, answer: impl FnOnce(PvValue<'_>) -> R) -> R {
    if key == 0 {
        return answer(conn_id.map_or(PvValue::Null, PvValue::Int));
    }
    CURRENT.with(|c| {
        let current = c.borrow();
        let Some(v) = current.as_ref() else { return answer(PvValue::Null) };
        answer(value_of(key, v))
    })
}

fn value_of(key: usize, v: &EventVars) -> PvValue<'_> {
    let text = |s: Option<&'static str>| s.map_or(PvValue::Null, |s| PvValue::Str(s.as_bytes()));
    match PV_KEYS.get(key).copied() {
        Some("assoc_id") => PvValue::Int(v.assoc_id),
        Some("assoc_state") => text(v.assoc_state),
        // the string lives in CURRENT until the route has run
        Some("path_addr") => v.path_addr.as_deref().map_or(PvValue::Null, |s| PvValue::Str(s.as_bytes())),
        Some("path_state") => text(v.path_state),
        Some("error") => PvValue::Int(v.error as i32),
        _ => PvValue::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sctp::cmsg::SndRcvInfo;

    fn send_failed(flags: u16) -> Notification<'static> {
        Notification::SendFailed {
            error: 0,
            flags: 0,
            info: SndRcvInfo { flags, ..Default::default() },
            assoc_id: 3,
            data: b"x",
        }
    }

    fn assoc(state: AssocState) -> Notification<'static> {
        Notification::AssocChange { state, error: 0, outbound_streams: 1, inbound_streams: 1, assoc_id: 3 }
    }

    #[test]
    fn association_states_map_to_up_and_down() {
        assert_eq!(event_of(&assoc(AssocState::CommUp)), Some(Event::AssocUp));
        assert_eq!(event_of(&assoc(AssocState::CommLost)), Some(Event::AssocDown));
        assert_eq!(event_of(&assoc(AssocState::ShutdownComplete)), Some(Event::AssocDown));
        // never up, or still up: no route
        assert_eq!(event_of(&assoc(AssocState::CantStartAssoc)), None);
        assert_eq!(event_of(&assoc(AssocState::Restart)), None);
        assert_eq!(vars_of(&assoc(AssocState::CommLost)).assoc_state, Some("COMM_LOST"));
    }

    #[test]
    fn send_failed_runs_once_per_message() {
        // unordered (U) whole message: B and E
        assert_eq!(event_of(&send_failed(0x04 | 0x03)), Some(Event::SendFailed));
        // a message split in three comes back as B, middle, E: one route
        let pieces = [0x04 | 0x02, 0x04, 0x04 | 0x01];
        let runs = pieces.iter().filter(|&&f| event_of(&send_failed(f)).is_some()).count();
        assert_eq!(runs, 1);
    }

    #[test]
    fn path_change_names_the_path_and_its_state() {
        let n = Notification::PeerAddrChange {
            addr: Some("127.0.0.2:5070".parse().unwrap()),
            state: PeerAddrState::Confirmed,
            error: 0,
            assoc_id: 9,
        };
        assert_eq!(event_of(&n), Some(Event::PathChange));
        let v = vars_of(&n);
        assert_eq!(value_of(pv_key(b"path_addr").unwrap(), &v), PvValue::Str(b"127.0.0.2"));
        assert_eq!(value_of(pv_key(b"path_state").unwrap(), &v), PvValue::Str(b"ADDR_CONFIRMED"));
        assert_eq!(value_of(pv_key(b"assoc_id").unwrap(), &v), PvValue::Int(9));
        assert_eq!(path_state_name(PeerAddrState::PotentiallyFailed), "ADDR_POTENTIALLY_FAILED");
    }

    #[test]
    fn keys_and_values_outside_an_event() {
        assert_eq!(pv_key(b"conid"), Some(0));
        assert_eq!(pv_key(b"nope"), None);
        assert!(pv_value(0, Some(4), |v| v == PvValue::Int(4)));
        assert!(pv_value(0, None, |v| v == PvValue::Null));
        assert!(pv_value(pv_key(b"path_state").unwrap(), Some(4), |v| v == PvValue::Null));
    }
}
