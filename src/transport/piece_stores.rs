//! The store of cut messages of each SCTP socket (see shared::piece_store),
//! created with the socket before the core forks and found by descriptor
//! afterwards.

use crate::kam::shm::new_piece_store;
use crate::shared::piece_store::PieceStore;
use std::sync::Mutex;

static STORES: Mutex<Vec<(i32, &'static PieceStore)>> = Mutex::new(Vec::new());

/// Creates the store of socket `fd` (main process, before fork).
pub fn create(fd: i32) -> bool {
    let Some(s) = new_piece_store() else { return false };
    STORES.lock().unwrap_or_else(|e| e.into_inner()).push((fd, s));
    true
}

pub fn get(fd: i32) -> Option<&'static PieceStore> {
    STORES.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(f, _)| *f == fd).map(|(_, s)| *s)
}
