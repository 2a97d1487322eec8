//! The store of cut messages of each SCTP socket (see shared::piece_store),
//! created with the socket before the core forks and found by descriptor
//! afterwards.

use crate::kam::shm::{new_piece_store, Shm};
use crate::shared::piece_store::PieceStore;
use std::sync::Mutex;

/// A socket's store, in Kamailio's shm.
pub type Store = PieceStore<Shm>;

static STORES: Mutex<Vec<(i32, &'static Store)>> = Mutex::new(Vec::new());

/// Creates the store of socket `fd` (main process, before fork).
pub fn create(fd: i32) -> bool {
    let Some(s) = new_piece_store() else { return false };
    STORES.lock().unwrap_or_else(|e| e.into_inner()).push((fd, s));
    true
}

pub fn get(fd: i32) -> Option<&'static Store> {
    STORES.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(f, _)| *f == fd).map(|(_, s)| *s)
}

/// Messages being put together now, and the most that can be, over every
/// socket of this process's view (all of them: created before fork).
pub fn usage() -> (u32, u32) {
    let stores = STORES.lock().unwrap_or_else(|e| e.into_inner());
    let open = stores.iter().map(|(_, s)| s.open()).sum();
    (open, (stores.len() * crate::shared::piece_store::ENTRIES) as u32)
}
