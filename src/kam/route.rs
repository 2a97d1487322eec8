//! The script's event routes (`event_route[NAME] { ... }`): found once by
//! name, run on the core's faked message, whose receive_info says where the
//! event came from (so `$si`, `$sp`, `$Ri`, `$Rp`, `$proto` read it), as the
//! core's own modules run theirs.

use super::net::ReceiveInfo;
use super::sys;
use std::ffi::CStr;
use std::ptr::{addr_of, addr_of_mut, NonNull};

/// An `event_route[...]` block the script defines (its index in the core's
/// list of event routes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRoute(usize);

/// Finds `event_route[name]`. `None` when the script has no such block, or an
/// empty one (nothing to run). Call once the config is parsed (mod_init).
pub fn lookup_event_route(name: &CStr) -> Option<EventRoute> {
    // SAFETY: route_lookup only reads the core's name index of its event
    // routes (complete once the config is parsed, before any module's
    // mod_init) and `name`, a C string; it creates nothing.
    let idx = unsafe { sys::route_lookup(addr_of_mut!(sys::event_rt), name.as_ptr() as *mut libc::c_char) };
    let idx = usize::try_from(idx).ok()?;
    actions(idx).map(|_| EventRoute(idx))
}

/// The actions of event route `idx`, if it has any.
fn actions(idx: usize) -> Option<NonNull<sys::action>> {
    // SAFETY: reads of the core's event route list, which it fills while
    // parsing the config and never changes after: `rlist` holds `idx` (the
    // first unused entry) valid pointers, each NULL or an action list.
    unsafe {
        let list = addr_of!(sys::event_rt);
        let used = usize::try_from((*list).idx).unwrap_or(0);
        if idx >= used || (*list).rlist.is_null() {
            return None;
        }
        NonNull::new(*(*list).rlist.add(idx))
    }
}

/// Runs an event route on the core's faked message, with `rcv` as where the
/// message came from. The message's own receive_info and the route type are
/// put back afterwards. False when the core could not set up its faked
/// message (it logged why).
pub fn run_event_route(route: EventRoute, rcv: &ReceiveInfo<'_>) -> bool {
    let Some(actions) = actions(route.0) else { return false };
    // SAFETY: prepares this process's faked message once (parses a fixed
    // request into pkg memory); later calls return at once.
    if unsafe { sys::faked_msg_init() } < 0 {
        return false;
    }
    // SAFETY: the process's static faked message, set up above.
    let Some(msg) = NonNull::new(unsafe { sys::faked_msg_next() }) else { return false };
    let msg = msg.as_ptr();
    // SAFETY: `msg` is the core's faked message of this (single-threaded)
    // process, valid for the process's life; only its `rcv` is written, at
    // the offset pinned for every series. `route_type` is the core's global
    // that set_route_type()/get_route_type() use. run_top_route runs the
    // route's actions on the message and returns; a NULL context makes it
    // use its own.
    unsafe {
        let saved_rcv = (*msg).rcv;
        let saved_type = sys::route_type;
        (*msg).rcv = *rcv.raw();
        sys::route_type = sys::EVENT_ROUTE as libc::c_int;
        sys::run_top_route(actions.as_ptr(), msg, std::ptr::null_mut());
        sys::route_type = saved_type;
        (*msg).rcv = saved_rcv;
    }
    true
}
