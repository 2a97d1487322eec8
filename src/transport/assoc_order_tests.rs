//! Tracking follows the kernel's queue order only if receivers account for
//! what they read before another receiver can read the next thing: these
//! tests drive the interleavings of receivers against the table, with the
//! accounting inside the read step (as the receive loop does it, under the
//! receive gate) and, to show the tests catch it, outside of it.

use super::{came_up_in, conn_id_for_in, went_down_in};
use crate::shared::assoc_table::{AssocKey, AssocTable};
use crate::shared::receive_gate::ReceiveGate;
use crate::shared::test_alloc::{heap, Heap};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

#[derive(Clone, Copy, Debug)]
enum Ev {
    Up(i32),
    Data(i32),
    Down(i32),
}

fn peer_of(assoc: i32) -> SocketAddr {
    SocketAddr::new("127.0.0.1".parse().unwrap(), 20000 + assoc as u16)
}

fn key(assoc: i32) -> AssocKey {
    AssocKey { sock: 3, assoc_id: assoc }
}

/// Two associations' lives as the kernel queues them on one socket.
fn queue() -> Vec<Ev> {
    use Ev::*;
    vec![Up(1), Data(1), Up(2), Data(1), Down(1), Data(2), Down(2)]
}

/// What accounting for one event does (as events::account and the data path).
fn account(t: &AssocTable<Heap>, ev: Ev, ids: &mut HashMap<i32, Vec<i32>>) {
    match ev {
        Ev::Up(a) => {
            came_up_in(t, key(a), Some(&peer_of(a)), true);
        }
        Ev::Data(a) => ids.entry(a).or_default().push(conn_id_for_in(t, key(a), &peer_of(a))),
        Ev::Down(a) => {
            went_down_in(t, key(a), true);
        }
    }
}

/// Runs one schedule: `choices[i]` is the receiver that takes step i. With
/// `inside`, a receiver reads and accounts in one step; without, reading and
/// accounting are two steps. Returns None when the schedule is not complete
/// yet, else the outcome: (tracked, opened, every data message got its
/// association's id).
fn run(choices: &[usize], inside: bool) -> (Vec<usize>, Option<(u32, i32, bool)>) {
    let t = AssocTable::new(heap(), 64).unwrap();
    let mut q: VecDeque<Ev> = queue().into();
    let mut held: [Option<Ev>; 2] = [None, None];
    let mut ids = HashMap::new();
    let enabled = |q: &VecDeque<Ev>, held: &[Option<Ev>; 2]| -> Vec<usize> {
        (0..2).filter(|&r| held[r].is_some() || !q.is_empty()).collect()
    };
    for &r in choices {
        match held[r].take() {
            Some(ev) => account(&t, ev, &mut ids),
            None => {
                let ev = q.pop_front().expect("schedule only picks enabled receivers");
                if inside {
                    account(&t, ev, &mut ids);
                } else {
                    held[r] = Some(ev);
                }
            }
        }
    }
    let next = enabled(&q, &held);
    if !next.is_empty() {
        return (next, None);
    }
    let consistent = ids.values().all(|v| v.iter().all(|&id| id > 0 && id == v[0]));
    (next, Some((t.tracked(), t.opened(), consistent)))
}

/// Every schedule's outcome.
fn outcomes(inside: bool) -> Vec<(Vec<usize>, (u32, i32, bool))> {
    let mut out = vec![];
    let mut stack = vec![vec![]];
    while let Some(prefix) = stack.pop() {
        match run(&prefix, inside) {
            (_, Some(o)) => out.push((prefix, o)),
            (next, None) => stack.extend(next.into_iter().map(|r| [prefix.clone(), vec![r]].concat())),
        }
    }
    out
}

#[test]
#[cfg_attr(miri, ignore = "thousands of table runs; the table itself is checked under Miri by its own tests")]
fn accounting_inside_the_read_step_is_exact_in_every_interleaving() {
    let all = outcomes(true);
    assert!(all.len() >= 64, "{} schedules", all.len());
    for (schedule, o) in all {
        assert_eq!(o, (0, 0, true), "schedule {schedule:?}");
    }
}

#[test]
#[cfg_attr(miri, ignore = "thousands of table runs; the table itself is checked under Miri by its own tests")]
fn accounting_after_the_read_step_drifts_in_some_interleaving() {
    // the design this replaced: proves the schedules above can catch a drift
    let all = outcomes(false);
    let stale = all.iter().filter(|(_, (tracked, _, _))| *tracked > 0).count();
    let split = all.iter().filter(|(_, (_, _, consistent))| !consistent).count();
    assert!(stale > 0, "no schedule leaves a stale entry");
    assert!(split > 0, "no schedule gives one association two ids");
    assert!(all.iter().all(|(_, (_, opened, _))| *opened == 0), "the open count is order-free");
}

#[test]
fn receivers_under_the_gate_keep_counts_exact_under_real_concurrency() {
    let t = AssocTable::new(heap(), 1024).unwrap();
    let gate = ReceiveGate::new_for_test();
    let assocs: i32 = if cfg!(miri) { 6 } else { 2000 };
    // each association: up, two data, down; lives interleaved in the queue
    let mut events = vec![];
    for a in 1..=assocs {
        events.push(Ev::Up(a));
    }
    for a in 1..=assocs {
        events.extend([Ev::Data(a), Ev::Data(a)]);
    }
    for a in 1..=assocs {
        events.push(Ev::Down(a));
    }
    let q = std::sync::Mutex::new(VecDeque::from(events));
    let ids = std::sync::Mutex::new(HashMap::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let mut mine = HashMap::new();
                {
                    let _p = gate.enter();
                    let Some(ev) = q.lock().unwrap().pop_front() else { break };
                    account(&t, ev, &mut mine);
                }
                std::thread::yield_now();
                for (a, v) in mine {
                    ids.lock().unwrap().entry(a).or_insert_with(Vec::new).extend(v);
                }
            });
        }
    });
    assert_eq!((t.tracked(), t.opened()), (0, 0));
    let ids = ids.into_inner().unwrap();
    assert_eq!(ids.len(), assocs as usize);
    assert!(ids.values().all(|v| v.len() == 2 && v[0] > 0 && v[0] == v[1]));
}

/// The event routes get the connection id from accounting: the id an
/// association got on COMM_UP, and the same id on its COMM_LOST or
/// SHUTDOWN_COMP (read as the entry goes, since it is gone afterwards).
#[test]
fn up_and_down_report_the_connection_id() {
    let t = AssocTable::new(heap(), 64).unwrap();
    let (open, id) = came_up_in(&t, key(1), Some(&peer_of(1)), true);
    assert_eq!(open, 1);
    assert!(id > 0);
    assert_eq!(conn_id_for_in(&t, key(1), &peer_of(1)), id);
    assert_eq!(went_down_in(&t, key(1), true), id);
    assert_eq!(t.id_of(key(1)), None);
    // tracking off: no id either way
    assert_eq!(came_up_in(&t, key(2), Some(&peer_of(2)), false), (1, 0));
    assert_eq!(went_down_in(&t, key(2), false), 0);
}
