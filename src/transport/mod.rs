//! The SCTP transport: safe code over `kam` (the core) and `sctp` (the sockets).
//!
//! Folders, each using only the folders listed before it (and the files at
//! this level, which use none):
//! - `associations`: what is known of each association and the peer at its
//!   other end: tracking, per-peer profiles and multihomed peers, event routes;
//! - `settings`: the values in force, fixed at startup or changed at run time;
//! - `send`: the send path, its retries, the bounded send wait and stall marks;
//! - `receive`: the receive loop, notifications, cut messages, the watchdog;
//! - `control`: what the core and operators call: the module's lifecycle,
//!   listen sockets, the RPC commands.
pub mod associations;
pub mod control;
pub mod receive;
pub mod send;
pub mod settings;

pub mod counters;
pub mod ratelimit;
