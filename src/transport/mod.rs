//! The SCTP transport: module lifecycle, listen sockets, the receive loop and the
//! send path. Safe code over `kam` (the core) and `sctp` (the sockets).
pub mod assoc;
pub mod assoc_rpc;
pub mod lifecycle;
pub mod listen;
pub mod peers;
pub mod events;
pub mod event_routes;
pub mod piece_stores;
pub mod pieces;
pub mod ratelimit;
pub mod receive;
pub mod send;
pub mod rpc;
pub mod runtime;
pub mod settings;
pub mod stall;
pub mod stats;
pub mod watchdog;
