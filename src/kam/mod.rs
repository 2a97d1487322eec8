//! The thin safe layer over the Kamailio core: its ABI (`sys`), logging, panic
//! containment, the module's exported symbols, shared memory, the config
//! framework, counters, RPC, event routes, pseudo-variables, and views of core structs.
use std::ffi::CStr;

/// The name the core knows this module by: its exports, its debug level
/// (the debugger's `mod_level`), its log prefix, and the cfg group, counter
/// group and `$sctp(...)` class it registers. The C module's, so that configs
/// written for it work unchanged.
pub const MODULE_NAME: &CStr = c"sctp";

/// [`MODULE_NAME`] as text.
pub const MODULE_NAME_STR: &str = match MODULE_NAME.to_str() {
    Ok(name) => name,
    Err(_) => panic!("MODULE_NAME is ASCII"),
};

pub mod cfg;
pub mod core;
pub mod counters;
pub mod export;
pub mod guard;
pub mod log;
pub mod net;
pub mod pv;
pub mod route;
pub mod rpc;
pub mod shm;
pub mod sys;
