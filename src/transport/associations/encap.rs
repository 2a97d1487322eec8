//! SCTP over UDP (RFC 6951) towards the declared peers whose `;encap=` port
//! differs from `sctp_encap_port`.
//!
//! The kernel gives a new association the socket's encapsulation port when
//! it creates it, so that its INIT goes out encapsulated (or not); a port
//! set on the association afterwards would come after the INIT. So a new
//! association to such a peer is opened with the socket's port switched to
//! the peer's for the one non-blocking send that opens it, and switched back
//! at once. Every process shares the socket: the switch holds a lock in
//! shared memory, and while any declared peer differs ("mixed", which
//! sctp.peer_set may change), every other
//! send that may open an association takes it too, so that none is opened
//! with another peer's port. No send waits with the lock held: it covers
//! non-blocking calls only. Associations the peers open are not affected:
//! the kernel answers with the port their INIT came from.

use crate::kam::shm::leak_in_shm;
use crate::sctp::options::{set_on, SockOpt};
use crate::sctp::socket::SctpSocket;
use crate::shared::futex::FutexMutex;
use crate::transport::ratelimit::Every;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// In shared memory: peers change at run time (sctp.peer_set).
struct Shared {
    lock: FutexMutex,
    /// Whether some declared peer has a port of its own.
    mixed: AtomicBool,
}

struct Switch {
    /// The socket's port (sctp_encap_port; 0 plain).
    default: u16,
    shared: &'static Shared,
}

/// Set by mod_init, before the core forks, when sctp_udp_port is set.
static SWITCH: OnceLock<Switch> = OnceLock::new();
static SWITCH_FAILED_LOG: Every = Every::new(10);

/// Prepares the switch (main process, before fork): `default` is the
/// socket's port (`None`: no encapsulation), `ports` the declared peers'.
/// False when shared memory is short.
pub fn init(default: Option<u16>, ports: impl IntoIterator<Item = Option<u16>>) -> bool {
    let Some(default) = default else { return true };
    let Some(shared) = leak_in_shm(Shared { lock: FutexMutex::new(), mixed: AtomicBool::new(false) }) else {
        return false;
    };
    let _ = SWITCH.set(Switch { default, shared });
    peers_changed(ports);
    true
}

/// Whether encapsulation is on (sctp_udp_port): a peer may have a port.
pub fn enabled() -> bool {
    SWITCH.get().is_some()
}

/// The declared peers changed: `ports` are their own ports now.
pub fn peers_changed(ports: impl IntoIterator<Item = Option<u16>>) {
    if let Some(sw) = SWITCH.get() {
        let mixed = ports.into_iter().flatten().any(|p| p != sw.default);
        // under the lock: no switch is half done when sends stop taking it
        let _held = sw.shared.lock.lock();
        sw.shared.mixed.store(mixed, Ordering::Release);
    }
}

/// The switch, while some peer has a port of its own.
fn mixed() -> Option<&'static Switch> {
    SWITCH.get().filter(|sw| sw.shared.mixed.load(Ordering::Acquire))
}

/// Runs `open`, a non-blocking send that may open a new association, to a
/// peer whose port `port` tells (asked only while mixed). While mixed it
/// holds the switch's lock, so that no other peer's port is in place; when
/// the peer's port is not the socket's, it is switched in meanwhile. `open`
/// must not call back in here (the lock is not reentrant). Costs nothing
/// unless mixed.
pub fn opening<R>(s: SctpSocket<'_>, port: impl FnOnce() -> Option<u16>, open: impl FnOnce() -> R) -> R {
    let Some(sw) = mixed() else { return open() };
    let own = port().filter(|&p| p != sw.default);
    let _held = sw.shared.lock.lock();
    let Some(port) = own else { return open() };
    if let Err(e) = set_on(s, libc::AF_UNSPEC, 0, &SockOpt::EncapPort(port)) {
        // never seen: the same option was set on this socket at startup
        if let Some(more) = SWITCH_FAILED_LOG.due() {
            log::error!("sctp: cannot switch the encapsulation port of new associations to {port}: {e} ({more} more)");
        }
    }
    let r = open();
    if let Err(e) = set_on(s, libc::AF_UNSPEC, 0, &SockOpt::EncapPort(sw.default)) {
        log::error!("sctp: cannot switch the encapsulation port of new associations back to {}: {e}", sw.default);
    }
    r
}
