//! Rendering results for people: aligned tables, verdict tables, heap report tables.

pub mod escape;
pub mod heap;
pub mod table;
pub mod verdict;
