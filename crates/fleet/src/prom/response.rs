//! The Prometheus HTTP API's JSON answer (`/api/v1/query`, `/api/v1/query_range`), read
//! without a string allocation per sample: values are strings (`"1.5e+09"`, `"NaN"`,
//! `"+Inf"`) parsed as they stream by.

use std::fmt;

use leakscope_core::Point;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::labels::Labels;

/// One series of an answer: its labels and its points in time order (one point for an
/// instant vector).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesData {
    /// The series' labels (`__name__` included when the expression kept it).
    pub labels: Labels,
    /// The samples, `t` unix seconds.
    pub points: Vec<Point>,
}

/// The envelope every API answer has.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    pub status: String,
    #[serde(default)]
    pub data: Option<Data>,
    #[serde(default, rename = "errorType")]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// `data` of a query answer.
#[derive(Debug, Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub(crate) enum Data {
    Matrix(Vec<MatrixSeries>),
    Vector(Vec<VectorSample>),
    Scalar(Sample),
    String(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
pub(crate) struct MatrixSeries {
    #[serde(default)]
    pub metric: Labels,
    #[serde(default)]
    pub values: Vec<Sample>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct VectorSample {
    #[serde(default)]
    pub metric: Labels,
    /// Absent for a native-histogram sample (`histogram`), which is not a memory value.
    #[serde(default)]
    pub value: Option<Sample>,
}

/// One `[unix_seconds, "value"]` pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sample(pub Point);

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(SampleVisitor)
    }
}

struct SampleVisitor;

impl<'de> Visitor<'de> for SampleVisitor {
    type Value = Sample;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a [timestamp, \"value\"] pair")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sample, A::Error> {
        let t: f64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let v = seq
            .next_element::<Value>()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Sample(Point::new(t, v.0)))
    }
}

/// A sample value: Prometheus writes it as a string; a number is accepted too.
struct Value(f64);

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sample value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
                parse_value(s)
                    .map(Value)
                    .ok_or_else(|| E::custom(format!("`{s}` is not a sample value")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                Ok(Value(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                Ok(Value(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                Ok(Value(v as f64))
            }
        }
        d.deserialize_any(V)
    }
}

/// Prometheus' value text: a Go float (`1.5e+09`), `NaN`, `+Inf`, `-Inf`.
pub(crate) fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

impl Data {
    /// The answer as series (an instant vector gives one point per series; a scalar one
    /// unlabeled series).
    pub(crate) fn into_series(self) -> Vec<SeriesData> {
        match self {
            Data::Matrix(m) => m
                .into_iter()
                .map(|s| SeriesData {
                    labels: s.metric,
                    points: s.values.into_iter().map(|x| x.0).collect(),
                })
                .collect(),
            Data::Vector(v) => v
                .into_iter()
                .map(|s| SeriesData {
                    labels: s.metric,
                    points: s.value.map(|x| x.0).into_iter().collect(),
                })
                .collect(),
            Data::Scalar(s) => vec![SeriesData {
                labels: Labels::new(),
                points: vec![s.0],
            }],
            Data::String(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_vector_and_special_values_parse() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"m","pod":"a"},"values":[[1700000000,"1.5e+09"],[1700000060.5,"NaN"],[1700000120,"+Inf"],[1700000180,"-Inf"]]}]}}"#;
        let e: Envelope = serde_json::from_slice(body).expect("parse");
        let s = e.data.expect("data").into_series();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].labels.get("pod").map(String::as_str), Some("a"));
        let v: Vec<f64> = s[0].points.iter().map(|p| p.v).collect();
        assert_eq!(v[0], 1.5e9);
        assert!(v[1].is_nan());
        assert_eq!(v[2], f64::INFINITY);
        assert_eq!(v[3], f64::NEG_INFINITY);
        assert_eq!(s[0].points[1].t, 1_700_000_060.5);

        let body = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"2"]},{"metric":{"a":"b"},"histogram":[1,{}]}]}}"#;
        let e: Envelope = serde_json::from_slice(body).expect("parse");
        let s = e.data.expect("data").into_series();
        assert_eq!(s[0].points, vec![Point::new(1.0, 2.0)]);
        assert!(s[1].points.is_empty());
    }

    #[test]
    fn errors_and_garbage_values() {
        let body =
            br#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected"}"#;
        let e: Envelope = serde_json::from_slice(body).expect("parse");
        assert_eq!(e.status, "error");
        assert_eq!(e.error_type.as_deref(), Some("bad_data"));
        let bad = br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"x"]]}]}}"#;
        assert!(serde_json::from_slice::<Envelope>(bad).is_err());
    }
}
