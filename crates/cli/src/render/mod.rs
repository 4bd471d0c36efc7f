//! Rendering results for people: aligned tables, verdict tables, heap report tables.

pub mod escape;
pub mod explain;
pub mod export;
pub mod fleet;
pub mod heap;
#[cfg(feature = "k8s")]
pub mod k8s;
pub mod lint;
pub mod table;
pub mod verdict;
