//! The module's parameters: names, defaults, validation. Pure logic.
pub mod params;
pub mod table;
pub mod peers;
pub mod profile;
