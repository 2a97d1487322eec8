//! Data structures that live in memory shared by Kamailio's processes (its shm
//! pool, which every process maps at the same address; the heap in tests): a
//! futex lock, the store of cut messages, the association table, the
//! declared peers and the table of stalled peers; and each process's memo of the association table.
pub mod assoc_memo;
pub mod assoc_table;
pub mod clock;
pub mod futex;
pub mod peer_table;
pub mod piece_store;
pub mod send_stall;
pub mod test_alloc;
