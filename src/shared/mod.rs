//! Data structures that live in memory shared by Kamailio's processes (its shm
//! pool, or any MAP_SHARED mapping in tests): a futex lock and the association
//! table. Index-based, no pointers inside, so any process can map them anywhere.
// being rewritten; the crate-wide unsafe lints are waived here until then
#[allow(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
pub mod assoc_table;
pub mod clock;
pub mod futex;
pub mod receive_gate;
