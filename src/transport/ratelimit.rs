//! Log lines that repeat under overload are summarised: at most one per
//! interval, saying how many were left out. Per process (each process logs on
//! its own), so a plain static suffices.

use crate::shared::clock::monotonic_secs;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

pub struct Every {
    interval_s: u32,
    /// When the last line was let through (monotonic seconds + 1; 0: never).
    last: AtomicU32,
    skipped: AtomicU32,
}

impl Every {
    pub const fn new(interval_s: u32) -> Self {
        Every { interval_s, last: AtomicU32::new(0), skipped: AtomicU32::new(0) }
    }

    /// `Some(skipped)` when a line may be logged now, with the number of lines
    /// left out since the last one; `None` (and counted) otherwise.
    pub fn due(&self) -> Option<u32> {
        self.due_at(monotonic_secs().wrapping_add(1))
    }

    fn due_at(&self, now: u32) -> Option<u32> {
        let last = self.last.load(Relaxed);
        if last != 0 && now.wrapping_sub(last) < self.interval_s {
            self.skipped.fetch_add(1, Relaxed);
            return None;
        }
        self.last.store(now, Relaxed);
        Some(self.skipped.swap(0, Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::Every;

    #[test]
    fn one_line_per_interval_with_the_count_of_the_rest() {
        let e = Every::new(10);
        assert_eq!(e.due_at(100), Some(0));
        assert_eq!(e.due_at(100), None);
        assert_eq!(e.due_at(109), None);
        assert_eq!(e.due_at(110), Some(2));
        assert_eq!(e.due_at(111), None);
        assert_eq!(e.due_at(500), Some(1));
    }
}
