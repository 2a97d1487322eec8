//! The receive gate of each SCTP socket (see shared::receive_gate), created
//! with the socket before the core forks and found by descriptor afterwards.

use crate::kam::shm::new_receive_gate;
use crate::shared::receive_gate::ReceiveGate;
use std::sync::Mutex;

static GATES: Mutex<Vec<(i32, &'static ReceiveGate)>> = Mutex::new(Vec::new());

/// Creates the gate of socket `fd` (main process, before fork).
pub fn create(fd: i32) -> bool {
    let Some(g) = new_receive_gate() else { return false };
    GATES.lock().unwrap_or_else(|e| e.into_inner()).push((fd, g));
    true
}

pub fn get(fd: i32) -> Option<&'static ReceiveGate> {
    GATES.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(f, _)| *f == fd).map(|(_, g)| *g)
}
