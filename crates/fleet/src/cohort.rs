//! Cohorts: the series of one workload compared with each other. A replica that grows while
//! its siblings do not points at state in that replica (one bad tenant, one stuck
//! connection); a new version that grows while the old one did not points at the deploy.

use std::collections::BTreeMap;

use leakscope_core::VerdictKind;
use serde::Serialize;

use crate::judge::FleetVerdict;
use crate::labels::{self, Labels};

/// Labels that name one instance of a workload (left out of the default cohort key).
pub const INSTANCE_LABELS: &[&str] = &[
    "pod",
    "pod_name",
    "instance",
    "id",
    "name",
    "uid",
    "container_id",
    "node",
    "host",
    "hostname",
    "ip",
    "pod_ip",
];

/// Labels that name a version of a workload (left out of the default cohort key, and read to
/// tell versions apart), in order of preference.
pub const VERSION_LABELS: &[&str] = &[
    "version",
    "app_version",
    "image",
    "image_tag",
    "revision",
    "pod_template_hash",
    "controller_revision_hash",
];

/// What comparing a series with its cohort showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CohortKind {
    /// This series leaks while most of its siblings (same workload and version) do not.
    ReplicaGrowsAlone,
    /// This series' version leaks while the previous version of the workload did not.
    NewVersionGrows,
    /// The whole cohort leaks alike.
    CohortGrows,
    /// Nothing stands out.
    None,
}

/// How a series compares with its cohort (the `cohort` field of the fleet's Verdict JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortFinding {
    /// The labels the cohort shares (its key).
    pub key: Labels,
    /// Series in the cohort (this version of the workload).
    pub members: usize,
    /// Of them, series judged leaks.
    pub leaking: usize,
    /// What stands out.
    pub finding: CohortKind,
    /// The version this series runs, when a version label is present.
    pub version: Option<String>,
    /// The version before it, for [`CohortKind::NewVersionGrows`].
    pub previous_version: Option<String>,
    /// One line for people.
    pub summary: String,
}

/// How series are grouped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CohortOptions {
    /// Group by these labels; `None` = every label but the instance and version ones.
    pub by: Option<Vec<String>>,
}

impl CohortOptions {
    /// The workload key of `l` (version labels left out) and its version, if any.
    fn key(&self, l: &Labels) -> (Labels, Option<String>) {
        let version = VERSION_LABELS.iter().find_map(|k| l.get(*k).cloned());
        let key = match &self.by {
            Some(by) => l
                .iter()
                .filter(|(k, _)| by.contains(k) && !VERSION_LABELS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            None => l
                .iter()
                .filter(|(k, _)| {
                    !INSTANCE_LABELS.contains(&k.as_str()) && !VERSION_LABELS.contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        (key, version)
    }
}

/// Compares every series with its cohort and fills `cohort` (left `None` for series alone in
/// theirs).
pub fn compare(verdicts: &mut [FleetVerdict], opts: &CohortOptions) {
    // workload key -> version -> indices
    let mut groups: BTreeMap<Labels, BTreeMap<Option<String>, Vec<usize>>> = BTreeMap::new();
    for (i, v) in verdicts.iter().enumerate() {
        let (key, version) = opts.key(&v.labels);
        groups
            .entry(key)
            .or_default()
            .entry(version)
            .or_default()
            .push(i);
    }
    for (key, versions) in groups {
        let leaking = |idx: &[usize]| {
            idx.iter()
                .filter(|&&i| verdicts[i].verdict.verdict == VerdictKind::Leak)
                .count()
        };
        // Versions from oldest to newest by when their first series appeared.
        let mut order: Vec<(f64, Option<String>)> = versions
            .iter()
            .map(|(v, idx)| {
                let first = idx
                    .iter()
                    .map(|&i| verdicts[i].first_t)
                    .filter(|t| t.is_finite())
                    .fold(f64::INFINITY, f64::min);
                (first, v.clone())
            })
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut findings: Vec<(usize, CohortFinding)> = Vec::new();
        for (pos, (_, version)) in order.iter().enumerate() {
            let idx = &versions[version];
            let (n, k) = (idx.len(), leaking(idx));
            let previous = pos
                .checked_sub(1)
                .map(|p| (&order[p].1, &versions[&order[p].1]));
            let new_version = previous
                .filter(|(_, pidx)| version.is_some() && 2 * k >= n && k > 0 && leaking(pidx) == 0);
            for &i in idx {
                let leak = verdicts[i].verdict.verdict == VerdictKind::Leak;
                let what = if let (Some((pv, pidx)), true) = (new_version, leak) {
                    Some((
                        CohortKind::NewVersionGrows,
                        pv.clone(),
                        format!(
                            "version {} grows ({k} of {n} series leak) while version {} did not (0 of {})",
                            version.as_deref().unwrap_or("?"),
                            pv.as_deref().unwrap_or("?"),
                            pidx.len()
                        ),
                    ))
                } else if leak && n >= 2 && k < n && 3 * k <= n.max(3) {
                    Some((
                        CohortKind::ReplicaGrowsAlone,
                        None,
                        format!(
                            "{} grows while {} of its {} siblings do not",
                            instance(&verdicts[i].labels),
                            n - k,
                            n - 1
                        ),
                    ))
                } else if leak && n >= 2 && k == n {
                    Some((
                        CohortKind::CohortGrows,
                        None,
                        format!("all {n} series of the cohort leak alike"),
                    ))
                } else {
                    None
                };
                if n < 2 && what.is_none() && versions.len() < 2 {
                    continue;
                }
                let (finding, previous_version, summary) = what.unwrap_or((
                    CohortKind::None,
                    None,
                    format!("{k} of {n} series of the cohort leak"),
                ));
                findings.push((
                    i,
                    CohortFinding {
                        key: key.clone(),
                        members: n,
                        leaking: k,
                        finding,
                        version: version.clone(),
                        previous_version,
                        summary,
                    },
                ));
            }
        }
        for (i, f) in findings {
            verdicts[i].cohort = Some(f);
        }
    }
}

/// The instance a series is (its pod, instance … label), or its selector.
fn instance(l: &Labels) -> String {
    INSTANCE_LABELS
        .iter()
        .find_map(|k| l.get(*k).map(|v| format!("{k} {v}")))
        .unwrap_or_else(|| labels::selector(l))
}

#[cfg(test)]
mod tests {
    use super::*;
    use leakscope_core::{Pattern, Verdict};

    fn fv(pairs: &[(&str, &str)], leak: bool, first_t: f64) -> FleetVerdict {
        let labels: Labels = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        FleetVerdict {
            verdict: Verdict {
                name: labels::selector(&labels),
                verdict: if leak {
                    VerdictKind::Leak
                } else {
                    VerdictKind::NoLeak
                },
                pattern: if leak {
                    Pattern::LinearGrowth
                } else {
                    Pattern::Stable
                },
                growth_bytes_per_hour: 0.0,
                confidence: 0.9,
                detected_at: None,
                time_to_limit_seconds: None,
                limit_bytes: None,
                samples: 100,
                span_seconds: 1e5,
                first_bytes: 1.0,
                last_bytes: 1.0,
                restarts: 0,
                reasons: Vec::new(),
                windows: Vec::new(),
                confirmed_by_window_seconds: None,
                caveat: None,
                period_seconds: None,
            },
            labels,
            cohort: None,
            screened_out: false,
            restarts_counted: None,
            first_t,
            recent: Vec::new(),
        }
    }

    fn pod(
        dep: &str,
        version: &str,
        pod: &str,
        container: &str,
        leak: bool,
        t: f64,
    ) -> FleetVerdict {
        fv(
            &[
                ("__name__", "mem"),
                ("namespace", "shop"),
                ("deployment", dep),
                ("version", version),
                ("pod", pod),
                ("container", container),
            ],
            leak,
            t,
        )
    }

    #[test]
    fn a_lone_grower_and_a_new_version_are_told_apart() {
        let mut v = vec![
            // cart: one replica of three leaks.
            pod("cart", "v1", "cart-a", "app", false, 0.0),
            pod("cart", "v1", "cart-b", "app", true, 0.0),
            pod("cart", "v1", "cart-c", "app", false, 0.0),
            // Its sidecars are their own cohort.
            pod("cart", "v1", "cart-a", "proxy", false, 0.0),
            pod("cart", "v1", "cart-b", "proxy", false, 0.0),
            // search: v1 was fine, v2 (deployed later) leaks on every pod.
            pod("search", "v1", "search-1", "app", false, 0.0),
            pod("search", "v1", "search-2", "app", false, 0.0),
            pod("search", "v2", "search-3", "app", true, 5e4),
            pod("search", "v2", "search-4", "app", true, 5e4),
            // auth: every replica leaks alike.
            pod("auth", "v7", "auth-1", "app", true, 0.0),
            pod("auth", "v7", "auth-2", "app", true, 0.0),
            // A lone series has no cohort.
            pod("batch", "v1", "batch-1", "app", true, 0.0),
        ];
        compare(&mut v, &CohortOptions::default());
        let f = |i: usize| v[i].cohort.as_ref().map(|c| c.finding);
        assert_eq!(f(1), Some(CohortKind::ReplicaGrowsAlone));
        let c = v[1].cohort.as_ref().expect("cohort");
        assert_eq!((c.members, c.leaking), (3, 1));
        assert_eq!(
            c.summary,
            "pod cart-b grows while 2 of its 2 siblings do not"
        );
        assert_eq!(c.key.get("container").map(String::as_str), Some("app"));
        assert!(!c.key.contains_key("pod") && !c.key.contains_key("version"));
        assert_eq!(f(0), Some(CohortKind::None));
        assert_eq!(f(3), Some(CohortKind::None));
        assert_eq!(f(7), Some(CohortKind::NewVersionGrows));
        let c = v[7].cohort.as_ref().expect("cohort");
        assert_eq!(c.version.as_deref(), Some("v2"));
        assert_eq!(c.previous_version.as_deref(), Some("v1"));
        assert_eq!(
            c.summary,
            "version v2 grows (2 of 2 series leak) while version v1 did not (0 of 2)"
        );
        assert_eq!(f(5), Some(CohortKind::None));
        assert_eq!(f(9), Some(CohortKind::CohortGrows));
        assert_eq!(f(11), None);
    }

    #[test]
    fn cohorts_follow_the_labels_given() {
        let mut v = vec![
            pod("cart", "v1", "cart-a", "app", true, 0.0),
            pod("cart", "v1", "cart-a", "proxy", false, 0.0),
        ];
        // By deployment only, app and proxy are siblings: the app grows alone.
        compare(
            &mut v,
            &CohortOptions {
                by: Some(vec!["deployment".into(), "version".into()]),
            },
        );
        let c = v[0].cohort.as_ref().expect("cohort");
        assert_eq!(c.finding, CohortKind::ReplicaGrowsAlone);
        assert_eq!(
            c.key.len(),
            1,
            "version is read as the version, not the key"
        );
    }
}
