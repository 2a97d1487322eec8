//! What the core and operators call: the module's lifecycle (load, init,
//! SCTP support), the listen sockets, and the RPC commands.
pub mod assoc_rpc;
pub mod info_rpc;
pub mod lifecycle;
pub mod listen;
pub mod peer_rpc;
