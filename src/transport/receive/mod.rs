//! The receive path: the loop each receiver runs, the notifications it reads,
//! cut messages put back together (and the stores that hold them), and the
//! watchdog that finds stalled associations between reads.
pub mod notifications;
pub mod piece_stores;
pub mod pieces;
mod rcv_loop;
pub mod watchdog;

pub use rcv_loop::run;
