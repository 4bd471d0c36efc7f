//! A fleet's verdicts as a table: the verdict columns plus what the cohort showed.

use leakscope_fleet::cohort::CohortKind;
use leakscope_fleet::FleetVerdict;

use crate::render::table::Table;
use crate::render::verdict::{cells, HEADERS, RIGHT};

/// One row per series, most urgent first (the order given), with a COHORT column.
pub fn table(verdicts: &[FleetVerdict]) -> String {
    let mut headers = HEADERS.to_vec();
    headers.push("COHORT");
    let mut right = RIGHT.to_vec();
    right.push(false);
    let mut t = Table::new(&headers, &right);
    for v in verdicts {
        let mut row = cells(&v.verdict, v.first_t);
        if v.screened_out {
            row[4] = "-".into();
        }
        row.push(match &v.cohort {
            Some(c) if c.finding != CohortKind::None => c.summary.clone(),
            _ => String::new(),
        });
        t.row(row);
    }
    t.render()
}
