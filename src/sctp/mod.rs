//! The SCTP socket layer: libsctp FFI, socket options, control messages and
//! notifications. Knows nothing of Kamailio.
pub mod assoc_status;
pub mod assoc_tuning;
pub mod cmsg;
pub mod multihome;
pub mod notification;
pub mod options;
pub mod socket;
pub mod sys;
pub mod sysctl;
