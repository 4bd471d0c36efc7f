//! What the examples that replay a gen2 split share: its labelled series, a CSV read as
//! `analyze` reads it, and the recognition options for a series' unit.

// (Each example uses what it needs of this.)
#![allow(dead_code)]

use std::io::BufReader;
use std::path::{Path, PathBuf};

use leakscope_core::csv::{read_all, CsvOptions};
use leakscope_core::{Point, RecognizeOptions, SeriesUnit};

/// The points of the CSV's first series, read as `analyze` reads it.
pub fn read_points(path: &Path) -> Result<Vec<Point>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut series = read_all(BufReader::new(file), &CsvOptions::default())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(if series.is_empty() {
        Vec::new()
    } else {
        series.swap_remove(0).points
    })
}

/// One labelled series of a split (labels.json).
pub struct Labelled {
    pub file: String,
    pub path: PathBuf,
    pub leak: bool,
    pub pattern: String,
    pub unit: SeriesUnit,
    pub onset: Option<f64>,
    /// The leak's true growth, bytes (or counts) per hour; 0 for no leak.
    pub true_growth: f64,
}

impl Labelled {
    /// The recognition options `analyze` uses for this series' unit.
    pub fn options(&self) -> RecognizeOptions {
        RecognizeOptions::for_unit(self.unit)
    }
}

/// The recognition options for the CSV at `path`: its unit's, when the labels.json of a split
/// beside it names the file (a goroutine count is judged as `analyze` judges counts), else
/// the byte defaults.
pub fn options_for(path: &Path) -> RecognizeOptions {
    let (Some(dir), Some(file)) = (path.parent(), path.file_name()) else {
        return RecognizeOptions::default();
    };
    if !dir.join("labels.json").is_file() {
        return RecognizeOptions::default();
    }
    let file = file.to_string_lossy().into_owned();
    split(dir, std::slice::from_ref(&file))
        .first()
        .map_or_else(RecognizeOptions::default, Labelled::options)
}

/// The series of the split in `dir`, or only those whose file is in `only` when it is not
/// empty. Panics with what is wrong: these are bench tools.
pub fn split(dir: &Path, only: &[String]) -> Vec<Labelled> {
    let text = std::fs::read_to_string(dir.join("labels.json")).expect("DIR/labels.json");
    let labels: serde_json::Value = serde_json::from_str(&text).expect("labels.json is JSON");
    labels["series"]
        .as_array()
        .expect("labels.json lists series")
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|f| s["file"] == f.as_str()))
        .map(|s| {
            let file = s["file"]
                .as_str()
                .expect("a series names its file")
                .to_string();
            Labelled {
                path: dir.join(&file),
                file,
                leak: s["label"] == "leak",
                pattern: s["pattern"].as_str().unwrap_or("").to_string(),
                unit: if s["unit"] == "count" {
                    SeriesUnit::Count
                } else {
                    SeriesUnit::Bytes
                },
                onset: s["onset_ts"].as_f64(),
                true_growth: s["true_growth_bytes_per_hour"].as_f64().unwrap_or(0.0),
            }
        })
        .collect()
}

/// The median the split examples report: the middle value, the upper of the two middle ones
/// for an even count (sorts `xs`); NaN for none.
pub fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}
