//! The send path: a message to an association or a peer, retries after a
//! failed send, aborts and shutdowns, the bounded wait for room and the marks of stalled
//! peers it leaves.
mod path;
pub mod stall;

pub use path::{resend, send, send_abort, send_shutdown, RetryContext};
