//! The SCTP transport: module lifecycle, listen sockets, the receive loop and the
//! send path. Safe code over `kam` (the core) and `sctp` (the sockets).
pub mod lifecycle;
pub mod listen;
pub mod notify;
pub mod receive;
pub mod send;
pub mod settings;
