//! What is known of each association and the peer at its other end: tracking
//! (connection ids, shared by every process), per-peer profiles and the
//! addresses of multihomed peers, the encapsulation port new associations
//! to a peer start with, and the event routes that report changes.
pub mod declared;
pub mod encap;
pub mod event_routes;
pub mod peers;
pub mod tracking;
