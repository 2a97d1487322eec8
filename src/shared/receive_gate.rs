//! Serialises the reads of one socket across the receiver processes that share
//! it, and remembers across them whether the message being read was cut.
//!
//! A message larger than the read buffer comes out of the kernel in pieces, one
//! per recvmsg, and the next recvmsg on the socket, from whichever process,
//! returns the next piece. Without shared state a second process would take the
//! tail of a cut message for a whole one. Reading under this lock, with the
//! "cut in progress" mark beside it, closes that gap.

use super::futex::{FutexGuard, FutexMutex};
use std::sync::atomic::{AtomicU32, Ordering};

#[repr(C)]
pub struct ReceiveGate {
    lock: FutexMutex,
    cut_in_progress: AtomicU32,
}

/// What a read was, judged under the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A whole message or notification.
    Whole,
    /// The start of one that did not fit: drop it.
    CutStart,
    /// A later piece of a cut one: drop it.
    CutRest,
}

pub struct Passage<'a> {
    gate: &'a ReceiveGate,
    _guard: FutexGuard<'a>,
}

impl ReceiveGate {
    /// An open gate outside shared memory, for tests.
    #[cfg(test)]
    pub fn new_for_test() -> Self {
        ReceiveGate { lock: FutexMutex::new(), cut_in_progress: AtomicU32::new(0) }
    }

    /// Enter before reading; the read happens while the passage is held.
    pub fn enter(&self) -> Passage<'_> {
        // The holder is in one non-blocking recvmsg: a receiver woken for the
        // same arrival waits it out spinning rather than sleeping (two context
        // switches and two futex calls, more than the read takes).
        Passage { gate: self, _guard: self.lock.lock_spinning(2000) }
    }
}

impl Passage<'_> {
    /// Classifies what was just read (`end_of_record`: the read ended a message)
    /// and updates the shared mark.
    pub fn classify(&self, end_of_record: bool) -> Piece {
        let cutting = self.gate.cut_in_progress.load(Ordering::Relaxed) != 0;
        self.gate.cut_in_progress.store((!end_of_record) as u32, Ordering::Relaxed);
        match (cutting, end_of_record) {
            (true, _) => Piece::CutRest,
            (false, true) => Piece::Whole,
            (false, false) => Piece::CutStart,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> ReceiveGate {
        ReceiveGate::new_for_test()
    }

    #[test]
    fn whole_messages_stay_whole() {
        let g = gate();
        assert_eq!(g.enter().classify(true), Piece::Whole);
        assert_eq!(g.enter().classify(true), Piece::Whole);
    }

    #[test]
    fn every_piece_of_a_cut_message_is_dropped_then_reading_resumes() {
        let g = gate();
        assert_eq!(g.enter().classify(false), Piece::CutStart);
        assert_eq!(g.enter().classify(false), Piece::CutRest);
        assert_eq!(g.enter().classify(true), Piece::CutRest, "the tail ends the cut message");
        assert_eq!(g.enter().classify(true), Piece::Whole);
    }
}
