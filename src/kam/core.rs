//! Calls into the core and reads of its globals.

use super::net::{Dest, InitSocket, ReceiveInfo, SocketInfo};
use super::sys;
use crate::sctp::socket::SctpSocket;
use std::os::fd::RawFd;

/// The SCTP transport callbacks, registered with the core's SCTP API.
pub struct SctpCallbacks {
    pub init: unsafe extern "C" fn() -> libc::c_int,
    pub destroy: unsafe extern "C" fn(),
    pub init_sock: unsafe extern "C" fn(*mut sys::socket_info) -> libc::c_int,
    pub check_support: unsafe extern "C" fn() -> libc::c_int,
    pub rcv_loop: unsafe extern "C" fn() -> libc::c_int,
    pub msg_send: unsafe extern "C" fn(*mut sys::dest_info, *mut libc::c_char, libc::c_uint) -> libc::c_int,
}

/// Hands the callbacks to the core (`sctp_core_register_api`). Fails when another
/// SCTP module registered first.
pub fn register_sctp_api(cb: &SctpCallbacks) -> bool {
    let mut api = sys::sctp_srapi_t {
        init: Some(cb.init),
        destroy: Some(cb.destroy),
        init_sock: Some(cb.init_sock),
        check_support: Some(cb.check_support),
        rcv_loop: Some(cb.rcv_loop),
        msg_send: Some(cb.msg_send),
    };
    // SAFETY: the core copies the struct; all pointers are 'static functions.
    unsafe { sys::sctp_core_register_api(&mut api) == 0 }
}

/// Attaches this process to the config framework (each receiver must, before
/// it hands messages to the core, which reads its configuration). `None` when
/// the core refused.
pub fn cfg_child_init() -> Option<super::cfg::Attached> {
    // SAFETY: the core's per-process initialisation; the framework is set up
    // before any module code runs.
    if unsafe { sys::cfg_child_init() } != 0 {
        return None;
    }
    // SAFETY: it succeeded, in this process.
    Some(unsafe { super::cfg::Attached::new() })
}

/// Passes one SIP message to the core. `buf` must have one byte of room after
/// `len`: the core wants the message 0-terminated.
pub fn receive_msg(buf: &mut [u8], len: usize, ri: &mut ReceiveInfo<'_>) -> i32 {
    assert!(len < buf.len(), "receive_msg needs room for the terminating 0");
    buf[len] = 0;
    // SAFETY: buf is valid and writable for len+1 bytes, ri is a complete
    // receive_info; the core does not keep either pointer after returning.
    unsafe { sys::receive_msg(buf.as_mut_ptr() as *mut libc::c_char, len as u32, ri.as_mut_ptr()) }
}

/// The socket of this receiver process (the core's `bind_address`).
pub fn bind_address() -> Option<SocketInfo<'static>> {
    // SAFETY: a plain load of a pointer the core sets, before it calls the
    // receive loop, to one of its socket_infos, which it keeps (with their
    // descriptors) for the rest of the process.
    unsafe { SocketInfo::from_ptr(sys::bind_address) }
}

/// Every SCTP listen socket (`sctp_listen`).
pub fn sctp_listen() -> impl Iterator<Item = SocketInfo<'static>> {
    // SAFETY: the list is built while parsing the config and kept for the rest
    // of the process; only init_sock writes its entries (through InitSocket).
    let first = unsafe { SocketInfo::from_ptr(sys::sctp_listen) };
    std::iter::successors(first, |s| s.next())
}

/// The SCTP listen socket with descriptor `fd` (as recorded, e.g., in the
/// association table), found among the core's SCTP listen sockets: so only a
/// descriptor the core owns for the rest of the process is ever used.
pub fn sctp_socket_by_fd(fd: RawFd) -> Option<SctpSocket<'static>> {
    sctp_listen().find(|s| fd >= 0 && s.fd() == fd)?.sctp_socket()
}

/// The SCTP socket the core sends from by default (IPv4 first, like `sctp.options default`).
pub fn default_sctp_send_socket() -> Option<SocketInfo<'static>> {
    // SAFETY: plain reads of pointers the core sets before forking, to
    // socket_infos it keeps for the rest of the process.
    unsafe { SocketInfo::from_ptr(sys::sendipv4_sctp).or_else(|| SocketInfo::from_ptr(sys::sendipv6_sctp)) }
}

/// Whether the core runs without SCTP (disabled, or no kernel support).
pub fn sctp_disabled() -> bool {
    // SAFETY: plain read of an int the core settles before modules initialise.
    unsafe { sys::sctp_disable != 0 }
}

/// Blocklist reasons (`dst_blocklist.h`).
#[derive(Clone, Copy, Debug)]
pub enum BlocklistReason {
    Send,
    Connect,
}

/// Tells the core's destination blocklist that `to` failed over SCTP (honouring
/// the core's use_dst_blocklist and ignore masks).
pub fn blocklist(reason: BlocklistReason, to: &std::net::SocketAddr) {
    let flags = match reason {
        BlocklistReason::Send => sys::BLST_ERR_SEND,
        BlocklistReason::Connect => sys::BLST_ERR_CONNECT,
    } as u8;
    let mut su = super::net::su_from_socket_addr(to);
    // SAFETY: su is a complete sockaddr_union the core copies.
    unsafe { sys::ksr_shim_blocklist_sctp(flags, &mut su) };
}

/// The core's `tos` setting (IP TOS / IPv6 traffic class for its sockets).
pub fn ip_tos() -> i32 {
    // SAFETY: plain read of an int the core sets while parsing the config.
    unsafe { sys::tos }
}

/// The core's `ip_free_bind` setting.
pub fn ip_free_bind() -> bool {
    // SAFETY: as above.
    unsafe { sys::_sr_ip_free_bind != 0 }
}

/// # Safety
/// For the init_sock callback only: `p` is its socket_info argument, for the
/// duration of the call.
pub unsafe fn init_sock_arg<'a>(p: *mut sys::socket_info) -> Option<InitSocket<'a>> {
    // SAFETY: the core calls init_sock once per socket, before it forks, with a
    // socket_info it keeps for the rest of the process and that nothing else
    // writes during the call; its descriptor is -1 until we set it.
    unsafe { InitSocket::from_ptr(p) }
}

/// # Safety
/// For the exported callbacks only: `p` is the core's dest_info argument,
/// valid for the duration of the call.
pub unsafe fn dest_arg<'a>(p: *const sys::dest_info) -> Option<Dest<'a>> {
    // SAFETY: the core's dest_info is initialised by the core (whole sockaddrs
    // copied into `to`) and its send_sock, when set, is one of the core's
    // socket_infos.
    unsafe { Dest::from_ptr(p) }
}

/// # Safety
/// For the exported callbacks only: `buf`/`len` are the core's message argument,
/// valid for reads for the duration of the call.
pub unsafe fn message_arg<'a>(buf: *const libc::c_char, len: libc::c_uint) -> &'a [u8] {
    if buf.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the caller's promise; buf is not null.
        unsafe { std::slice::from_raw_parts(buf as *const u8, len as usize) }
    }
}
