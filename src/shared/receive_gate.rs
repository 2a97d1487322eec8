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

/// How long a receiver spins for the gate before it sleeps on it, when the
/// socket has no more receivers than the machine has CPUs. With more, a
/// spinning receiver may be what keeps a preempted holder off its CPU, so it
/// sleeps at once (measured in the test VM, 2 CPUs, 4 receivers: see README,
/// "More receivers than CPUs").
const SPIN_ROUNDS: u32 = 2000;

#[repr(C)]
pub struct ReceiveGate {
    lock: FutexMutex,
    cut_in_progress: AtomicU32,
    /// The receiver processes reading through this gate.
    receivers: AtomicU32,
    /// The reads made through the gate (count << 1), and whether the last one
    /// saw another message queued behind it (bit 0).
    last_read: AtomicU32,
}

/// What the gate knew of the reads when a receiver woke up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadStamp(u32);

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
        ReceiveGate {
            lock: FutexMutex::new(),
            cut_in_progress: AtomicU32::new(0),
            receivers: AtomicU32::new(0),
            last_read: AtomicU32::new(0),
        }
    }

    /// A receiver process starts reading through this gate.
    pub fn join(&self) {
        self.receivers.fetch_add(1, Ordering::Relaxed);
    }

    /// How many rounds a receiver spins for the gate on a machine with `cpus`
    /// CPUs before it sleeps.
    pub fn spin_rounds(&self, cpus: u32) -> u32 {
        if self.receivers.load(Ordering::Relaxed) <= cpus {
            SPIN_ROUNDS
        } else {
            0
        }
    }

    /// Taken by a receiver right after it woke up for input.
    pub fn stamp(&self) -> ReadStamp {
        ReadStamp(self.last_read.load(Ordering::Acquire))
    }

    /// Whether a read made after `woke` found nothing queued behind it: then
    /// whatever woke the receiver has been read, and it need not read.
    pub fn drained_since(&self, woke: ReadStamp) -> bool {
        let now = self.last_read.load(Ordering::Acquire);
        now != woke.0 && now & 1 == 0
    }

    /// Enters before reading, unless the socket was drained since `woke`
    /// (checked while waiting for the gate, and once inside): `None` then.
    ///
    /// The holder is in one non-blocking recvmsg: a receiver woken for the
    /// same arrival waits it out spinning (`spin_rounds`, see `spin_rounds`)
    /// rather than sleeping (two context switches and two futex calls, more
    /// than the read takes).
    pub fn enter_unless_drained(&self, woke: ReadStamp, spin_rounds: u32) -> Option<Passage<'_>> {
        for _ in 0..spin_rounds {
            if let Some(guard) = self.lock.try_lock() {
                return self.passage_unless_drained(guard, woke);
            }
            if self.drained_since(woke) {
                return None;
            }
            std::hint::spin_loop();
        }
        let guard = self.lock.lock_spinning(0);
        self.passage_unless_drained(guard, woke)
    }

    fn passage_unless_drained<'a>(&'a self, guard: FutexGuard<'a>, woke: ReadStamp) -> Option<Passage<'a>> {
        (!self.drained_since(woke)).then_some(Passage { gate: self, _guard: guard })
    }

    /// Enter before reading; the read happens while the passage is held
    /// (tests; receivers use `enter_unless_drained`).
    #[cfg(test)]
    pub fn enter(&self) -> Passage<'_> {
        Passage { gate: self, _guard: self.lock.lock() }
    }
}

impl Passage<'_> {
    /// Records a read made through this passage and whether the kernel said
    /// another message was queued behind it.
    pub fn record_read(&self, more_queued: bool) {
        let count = self.gate.last_read.load(Ordering::Relaxed) >> 1;
        self.gate.last_read.store((count.wrapping_add(1) << 1) | more_queued as u32, Ordering::Release);
    }

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
    fn a_receiver_skips_the_read_only_when_a_later_read_drained_the_socket() {
        let g = gate();
        let woke = g.stamp();
        assert!(!g.drained_since(woke), "no read since");
        assert!(g.enter_unless_drained(woke, 10).is_some());
        g.enter().record_read(true);
        assert!(!g.drained_since(woke), "that read left more behind");
        let woke = g.stamp();
        g.enter().record_read(false);
        assert!(g.drained_since(woke));
        assert!(g.enter_unless_drained(woke, 10).is_none());
        assert!(!g.drained_since(g.stamp()), "a stamp taken after the read");
    }

    #[test]
    fn receivers_spin_only_while_they_do_not_outnumber_the_cpus() {
        let g = gate();
        g.join();
        g.join();
        assert_eq!(g.spin_rounds(2), SPIN_ROUNDS);
        g.join();
        assert_eq!(g.spin_rounds(2), 0);
        assert_eq!(g.spin_rounds(4), SPIN_ROUNDS);
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
