//! Kamailio's `sctp` module in Rust. This file only wires the symbols the core
//! looks up (`exports`, `mod_register`, version strings) and the SCTP transport
//! callbacks to their implementations in `transport`.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod config;
#[doc(hidden)]
pub mod fuzzing;
mod kam;
mod pod;
mod sctp;
mod shared;
mod sip_frame;
mod sockaddr;
mod transport;

use config::table::{PARAM_COUNT, PARAM_NAMES};
use kam::cfg;
use kam::core::{self as core_api, SctpCallbacks};
use kam::export::{CStrPtr, IntParams, ModuleExports, NoCmds, ParamTable};
use kam::guard::{guard, guarded};
use kam::pv::{GetArgs, NameArg, PvTable};
use kam::sys;
use kam::MODULE_NAME;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use transport::control::lifecycle::RpcHandlers;

const fn c_str(s: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(s.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("not a C string"),
    }
}

/// Must equal the core's version string, or it refuses the module.
#[no_mangle]
pub static module_version: CStrPtr = CStrPtr::new(c_str(concat!(env!("KAMAILIO_FULL_VERSION"), "\0")));
/// Must equal the core's compile flags, or it refuses the module.
#[no_mangle]
pub static module_flags: CStrPtr = CStrPtr::new(c_str(concat!(env!("KAMAILIO_COMPILE_FLAGS"), "\0")));
#[no_mangle]
pub static module_interface_ver: c_uint = sys::MODULE_INTERFACE_VER;

/// Values of the integer parameters (config::table), written by the core on `modparam`.
static PARAMS: IntParams<PARAM_COUNT> = IntParams::new();
static PARAM_TABLE: ParamTable<{ PARAM_COUNT + 2 }> =
    ParamTable::with_string_funcs(&PARAM_NAMES, &PARAMS, &[(c"sctp_peer", param_sctp_peer)]);
static NO_CMDS: NoCmds = NoCmds::new();

/// `$sctp(KEY)`, read by the event routes (and `$sctp(conid)` anywhere).
static PV_TABLE: PvTable = PvTable::one(MODULE_NAME, pv_sctp_get, pv_sctp_parse_key);

#[no_mangle]
pub static exports: ModuleExports =
    ModuleExports::new(MODULE_NAME, &NO_CMDS, &PARAM_TABLE, mod_init, mod_destroy).with_pvs(&PV_TABLE);

const CALLBACKS: SctpCallbacks = SctpCallbacks {
    init: sctp_init,
    destroy: sctp_destroy,
    init_sock: sctp_init_sock,
    check_support: sctp_check_support,
    rcv_loop: sctp_rcv_loop,
    msg_send: sctp_msg_send,
};

/// Called by the core right after loading the module.
#[no_mangle]
pub extern "C" fn mod_register(_path: *mut c_char, _dlflags: *mut c_int, _p1: *mut c_void, _p2: *mut c_void) -> c_int {
    kam::log::install();
    kam::guard::install_panic_hook();
    guard("mod_register", -1, || transport::control::lifecycle::register(|d| PARAMS.store_all(d), &CALLBACKS))
}

const RPC_HANDLERS: RpcHandlers = RpcHandlers {
    info: rpc_sctp_info,
    options: rpc_sctp_options,
    assoc_list: rpc_sctp_assoc_list,
    assoc_info: rpc_sctp_assoc_info,
    set_primary: rpc_sctp_set_primary,
    assoc_reset: rpc_sctp_assoc_reset,
    peer_list: rpc_sctp_peer_list,
    peer_set: rpc_sctp_peer_set,
    peer_remove: rpc_sctp_peer_remove,
};

guarded! {
    fn mod_init() -> c_int = ["mod_init", -1] {
        transport::control::lifecycle::init_module(&PARAMS.snapshot(), cfg_on_change, cfg_on_set, &RPC_HANDLERS)
    }

    /// `modparam("sctp", "sctp_peer", "ADDR1,ADDR2[,...]:PORT")`, once per line.
    fn param_sctp_peer(_type: sys::modparam_t, val: *mut c_void) -> c_int = ["sctp_peer", -1] {
        if val.is_null() {
            log::error!("modparam(\"sctp\", \"sctp_peer\") without a value");
            return -1;
        }
        // SAFETY: for a PARAM_STRING parameter the core passes a NUL-terminated
        // string, valid for this call.
        let value = unsafe { CStr::from_ptr(val as *const c_char) }.to_string_lossy();
        match transport::associations::declared::declare(&value) {
            Ok(()) => 0,
            Err(e) => {
                log::error!("{e}");
                -1
            }
        }
    }

    /// Config framework: a variable of group `sctp` is about to change.
    fn cfg_on_change(group: *mut c_void, _gname: *mut sys::str_, name: *mut sys::str_, val: *mut *mut c_void) -> c_int
        = ["cfg change", -1] {
        // SAFETY: the core's callback arguments, valid for this call, for the
        // group of PARAM_COUNT ints declared by transport::runtime.
        let change = unsafe { cfg::change_args::<PARAM_COUNT>(group, name, val) };
        let mut v = change.value;
        let r = transport::settings::runtime::on_change(&change, &mut v);
        if r == 0 && v != change.value {
            // SAFETY: as above.
            unsafe { cfg::set_change_value(val, v) };
        }
        r
    }

    /// Config framework: a variable of group `sctp` changed.
    fn cfg_on_set(_gname: *mut sys::str_, name: *mut sys::str_) -> () = ["cfg set", ()] {
        // SAFETY: the core's callback argument, valid for this call.
        transport::settings::runtime::on_set(unsafe { cfg::set_args(name) })
    }

    rpc rpc_sctp_info = ["sctp.info", transport::control::info_rpc::info];
    rpc rpc_sctp_options = ["sctp.options", transport::control::info_rpc::options];
    rpc rpc_sctp_assoc_list = ["sctp.assoc_list", transport::control::assoc_rpc::list];
    rpc rpc_sctp_assoc_info = ["sctp.assoc_info", transport::control::assoc_rpc::info];
    rpc rpc_sctp_set_primary = ["sctp.set_primary", transport::control::assoc_rpc::set_primary];
    rpc rpc_sctp_assoc_reset = ["sctp.assoc_reset", transport::control::assoc_rpc::reset];
    rpc rpc_sctp_peer_list = ["sctp.peer_list", transport::control::peer_rpc::list];
    rpc rpc_sctp_peer_set = ["sctp.peer_set", transport::control::peer_rpc::set];
    rpc rpc_sctp_peer_remove = ["sctp.peer_remove", transport::control::peer_rpc::remove];

    /// The core parses the KEY of a `$sctp(KEY)` in the script.
    fn pv_sctp_parse_key(spec: *mut sys::pv_spec_t, name: *mut sys::str_) -> c_int = ["$sctp key", -1] {
        // SAFETY: the core's parse_name arguments, valid for this call.
        let Some(arg) = (unsafe { NameArg::from_raw(spec, name) }) else { return -1 };
        match transport::associations::event_routes::pv_key(arg.name()) {
            Some(key) => {
                arg.set_key(key);
                0
            }
            None => {
                log::error!(
                    "unknown $sctp({}): the keys are {}",
                    String::from_utf8_lossy(arg.name()),
                    transport::associations::event_routes::pv_keys()
                );
                -1
            }
        }
    }

    /// The script reads a `$sctp(KEY)`.
    fn pv_sctp_get(msg: *mut sys::sip_msg, param: *mut sys::pv_param_t, res: *mut sys::pv_value_t) -> c_int
        = ["$sctp", -1] {
        // SAFETY: the core's getf arguments, valid for this call.
        let Some(get) = (unsafe { GetArgs::from_raw(msg, param, res) }) else { return -1 };
        let Some(key) = get.key() else { return -1 };
        let conn_id = get.sctp_conn_id();
        transport::associations::event_routes::pv_value(key, conn_id, |v| get.answer(v))
    }

    fn mod_destroy() -> () = ["mod_destroy", ()] {}

    fn sctp_init() -> c_int = ["sctp init", -1] {
        transport::control::lifecycle::init_transport(&PARAMS.snapshot())
    }

    fn sctp_destroy() -> () = ["sctp destroy", ()] {}

    fn sctp_check_support() -> c_int = ["check_support", -1] {
        transport::control::lifecycle::check_support()
    }

    fn sctp_init_sock(si: *mut sys::socket_info) -> c_int = ["init_sock", -1] {
        // SAFETY: this is the init_sock callback and `si` its argument.
        let Some(sock) = (unsafe { core_api::init_sock_arg(si) }) else { return -1 };
        let Some(settings) = transport::settings::startup::get() else {
            log::error!("{}: socket initialisation before the module was initialised", sock.socket());
            return -1;
        };
        match transport::control::listen::init_socket(sock, settings) {
            Ok(()) => 0,
            Err(e) => {
                log::error!("{e}");
                -1
            }
        }
    }

    #[cfg_attr(not(test), link_section = ".text.hot.kamailio_sctp")]
    fn sctp_rcv_loop() -> c_int = ["rcv_loop", -1] {
        transport::receive::run()
    }

    #[cfg_attr(not(test), link_section = ".text.hot.kamailio_sctp")]
    fn sctp_msg_send(dst: *mut sys::dest_info, buf: *mut c_char, len: c_uint) -> c_int = ["msg_send", -1] {
        // SAFETY: the core passes its destination and message, valid for this call.
        let (dst, msg) = unsafe { (core_api::dest_arg(dst), core_api::message_arg(buf, len)) };
        match dst {
            Some(dst) => transport::send::send(&dst, msg),
            None => -1,
        }
    }
}
