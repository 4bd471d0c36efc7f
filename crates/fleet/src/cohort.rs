//! Cohorts: series of the same workload compared with each other.

use serde::Serialize;

/// How a series compares with its cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortFinding {
    /// One line for people.
    pub summary: String,
}
