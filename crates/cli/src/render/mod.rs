//! Rendering results for people: aligned tables, verdict tables, heap report tables.

pub mod fleet;
pub mod heap;
pub mod table;
pub mod verdict;
