//! The module's parameters: names, defaults, validation. Pure logic.
//!
//! One direction only: `table` describes every integer parameter and imports
//! nothing from here; `params` (validation), `profile` and `peers` read it.
pub mod params;
pub mod peers;
pub mod profile;
pub mod table;
