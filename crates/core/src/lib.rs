//! leakscope-core: the time-series model, leak recognition and alert rules.
//!
//! Pure: nothing here reads files, sockets or clocks. Sources feed [`series::Point`]s in;
//! recognition turns a series into a [`verdict::Verdict`]; alert rules turn samples and
//! verdicts into [`alert::Alert`]s.

pub mod alert;
pub mod config_file;
pub mod corpus;
pub mod csv;
pub mod recognize;
pub mod redact;
pub mod series;
pub mod units;
pub mod verdict;

pub use recognize::{
    recognize, robust_slope, Explanation, RecognizeOptions, Recognizer, SeriesUnit, SummaryBucket,
};
pub use series::{Point, Series};
pub use verdict::{Pattern, Verdict, VerdictKind};
