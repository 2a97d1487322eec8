//! What the module does when the core loads it, initialises it and checks for
//! SCTP support.

use super::{assoc_rpc, info_rpc, peer_rpc};
use crate::config::params::{defaults, RawValues};
use crate::config::table::ParamId;
use crate::kam::cfg::{OnChange, OnSet};
use crate::kam::core::{register_sctp_api, SctpCallbacks};
use crate::kam::rpc::{self, RpcHandler};
use crate::sctp::{options, socket, sysctl};
use crate::transport::associations::{declared, encap, event_routes, tracking};
use crate::transport::counters::{self, Gauges};
use crate::transport::receive::piece_stores;
use crate::transport::send::stall;
use crate::transport::settings::{runtime, startup};

/// At load time (`mod_register`): set the parameter defaults, which modparam
/// lines then override, and register the transport with the core.
pub fn register(store_defaults: impl FnOnce(&RawValues), callbacks: &SctpCallbacks) -> i32 {
    let os = match options::os_defaults() {
        Ok(c) => Some(c),
        Err(e) => {
            log::debug!("cannot read the kernel's SCTP defaults ({e}); leaving them to the OS");
            None
        }
    };
    store_defaults(&defaults(os.as_ref()));
    if !register_sctp_api(callbacks) {
        log::error!("cannot register the SCTP transport with the core (is another SCTP module loaded?)");
        return -1;
    }
    0
}

/// The core initialises SCTP (before mod_init, only when SCTP is enabled):
/// shared state and counters, before any fork.
pub fn init_transport(raw: &RawValues) -> i32 {
    let max_assocs = u32::try_from(raw[ParamId::MaxAssocs as usize]).ok();
    if !tracking::init(max_assocs) || !stall::init() {
        return -1;
    }
    let gauges = Gauges {
        opened: || tracking::opened() as i64,
        tracked: || tracking::tracked_for_display(runtime::current().tracking) as i64,
        cut_pending: || piece_stores::usage().0 as i64,
    };
    if !counters::register(&gauges) {
        log::error!("failed to register the sctp counters");
        return -1;
    }
    0
}

/// The RPC commands and their handlers.
pub struct RpcHandlers {
    pub info: RpcHandler,
    pub options: RpcHandler,
    pub assoc_list: RpcHandler,
    pub assoc_info: RpcHandler,
    pub set_primary: RpcHandler,
    pub assoc_reset: RpcHandler,
    pub peer_list: RpcHandler,
    pub peer_set: RpcHandler,
    pub peer_remove: RpcHandler,
}

/// At mod_init: refuse the configuration when a parameter cannot be right;
/// declare the runtime configuration and the RPC commands; find the script's
/// event routes.
pub fn init_module(raw: &RawValues, on_change: OnChange, on_set: OnSet, rpcs: &RpcHandlers) -> i32 {
    let settings = match startup::configure(raw) {
        Ok(s) => s,
        Err(e) => {
            log::error!("{e}");
            return -1;
        }
    };
    warn_shared_send_buffer(raw[ParamId::SendWait as usize]);
    warn_shared_receive_buffer();
    if !declared::freeze() {
        log::error!("out of shared memory for the table of sctp_peer peers (raise shm, -m)");
        return -1;
    }
    if let Err(e) = start_udp_encapsulation(settings.udp_port, settings.tuning.encap_port) {
        log::error!("{e}");
        return -1;
    }
    let values = startup::startup_values().copied().unwrap_or(*raw);
    if !runtime::declare(&values, on_change, on_set) {
        log::error!("could not register the sctp configuration");
        return -1;
    }
    let methods = [
        (c"sctp.options", rpcs.options, info_rpc::OPTIONS_DOC),
        (c"sctp.info", rpcs.info, info_rpc::INFO_DOC),
        (c"sctp.assoc_list", rpcs.assoc_list, assoc_rpc::LIST_DOC),
        (c"sctp.assoc_info", rpcs.assoc_info, assoc_rpc::INFO_DOC),
        (c"sctp.set_primary", rpcs.set_primary, assoc_rpc::SET_PRIMARY_DOC),
        (c"sctp.assoc_reset", rpcs.assoc_reset, assoc_rpc::RESET_DOC),
        (c"sctp.peer_list", rpcs.peer_list, peer_rpc::LIST_DOC),
        (c"sctp.peer_set", rpcs.peer_set, peer_rpc::SET_DOC),
        (c"sctp.peer_remove", rpcs.peer_remove, peer_rpc::REMOVE_DOC),
    ];
    if !rpc::register(&methods) {
        log::error!("could not register the sctp rpc commands");
        return -1;
    }
    event_routes::init();
    0
}

/// Why SCTP over UDP cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum EncapError {
    #[error(
        "modparam(\"sctp\", \"sctp_udp_port\", {port}): this kernel has no net.sctp.udp_port: SCTP over UDP needs \
         Linux 5.11 or later"
    )]
    OldKernel { port: u16 },
    #[error("modparam(\"sctp\", \"sctp_udp_port\", {port}): cannot set net.sctp.udp_port to {port}: {why} ({source})")]
    NotSet { port: u16, why: &'static str, source: std::io::Error },
    #[error(
        "sctp_peer {peer}: encap={port} needs modparam(\"sctp\", \"sctp_udp_port\", PORT) (the local UDP port): \
         without it the kernel sends plain SCTP"
    )]
    PeerWithoutUdpPort { peer: std::net::SocketAddr, port: u16 },
    #[error("out of shared memory for the switch of encapsulation ports (raise shm, -m)")]
    NoMemory,
}

/// At mod_init, while Kamailio still runs as root and before the core
/// makes its SCTP sockets (each keeps the port of its making): the kernel
/// takes SCTP over UDP on `udp_port`; and the switch for peers with a port
/// of their own.
fn start_udp_encapsulation(udp_port: u16, encap_default: Option<u16>) -> Result<(), EncapError> {
    if udp_port == 0 {
        return match declared::first_with_encap() {
            Some((peer, port)) => Err(EncapError::PeerWithoutUdpPort { peer, port }),
            None => Ok(()),
        };
    }
    let now = match sysctl::udp_port() {
        Ok(now) => now,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(EncapError::OldKernel { port: udp_port }),
        Err(e) => return Err(EncapError::NotSet { port: udp_port, why: "cannot read it", source: e }),
    };
    if now == udp_port {
        log::info!("sctp: SCTP over UDP on port {udp_port} (net.sctp.udp_port was set already)");
    } else {
        if now != 0 {
            log::warn!(
                "sctp: net.sctp.udp_port was {now}, sctp_udp_port sets it to {udp_port} for the whole network namespace"
            );
        }
        sysctl::set_udp_port(udp_port).map_err(|e| EncapError::NotSet {
            port: udp_port,
            why: match e.raw_os_error() {
                Some(libc::EADDRINUSE) => "the UDP port is taken by another socket",
                Some(libc::EACCES | libc::EPERM | libc::EROFS) => {
                    "no permission (start Kamailio as root, or set it before: sysctl -w net.sctp.udp_port=PORT)"
                }
                _ => "the kernel refused it",
            },
            source: e,
        })?;
        log::info!("sctp: SCTP over UDP on port {udp_port} (net.sctp.udp_port set)");
    }
    if encap::init(encap_default, declared::encap_ports()) {
        Ok(())
    } else {
        Err(EncapError::NoMemory)
    }
}

/// With the kernel's default sndbuf_policy, the associations of a socket share
/// its send buffer: a peer that stops reading fills it, and then sends to every
/// peer find it full. Say so once, at startup.
fn warn_shared_send_buffer(send_wait_ms: i32) {
    if sysctl::sndbuf_policy() == Some(0) {
        log::warn!(
            "net.sctp.sndbuf_policy is 0: all associations of an SCTP socket share its send buffer, so one peer \
             that stops reading can make sends to every peer wait (sctp_send_wait {send_wait_ms} ms) and fail; \
             set it to 1 (sysctl -w net.sctp.sndbuf_policy=1) to give each association its own"
        );
    }
}

/// With the kernel's default rcvbuf_policy, the associations of a socket share
/// its receive buffer: when a burst fills it, an association whose data finds
/// it full has its window closed and reopens it only slowly, so that a message
/// it sends in pieces may not end within sctp_cut_timeout. Say so once.
fn warn_shared_receive_buffer() {
    if sysctl::rcvbuf_policy() == Some(0) {
        log::warn!(
            "net.sctp.rcvbuf_policy is 0: all associations of an SCTP socket share its receive buffer, so a burst \
             from some peers can close another peer's window for seconds, and a message it sends in pieces may \
             then be aborted (sctp_cut_timeout); set it to 1 (sysctl -w net.sctp.rcvbuf_policy=1) to give each \
             association its own"
        );
    }
}

/// The core asks whether this OS supports SCTP.
pub fn check_support() -> i32 {
    if socket::kernel_supports_sctp() {
        0
    } else {
        -1
    }
}
