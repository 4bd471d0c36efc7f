//! `leakscope k8s scan`: list the cluster's pods and OOM events, judge each container's memory
//! in Prometheus with `--prometheus` (the fleet client and recognizer of `analyze
//! --prometheus`), then print the ranked containers as a table or JSON.

use leakscope_core::RecognizeOptions;
use leakscope_fleet::{judge_fleet, FleetError, FleetQuery, Prometheus, ScreenMode};
use leakscope_k8s::client::{connect, runtime};
use leakscope_k8s::scan::{assemble, collect, Judged, ScanOptions};

use super::ScanArgs;
use crate::cli::{Common, OutputFormat};
use crate::{out, render, units};

/// The series judged: cAdvisor's working set of each container (what the OOM killer and
/// `kubectl top` go by), without the pause container and the pod-level sums.
pub fn memory_query(namespace: Option<&str>) -> String {
    let ns = namespace
        .map(|n| format!(",namespace={}", leakscope_fleet::labels::quote(n)))
        .unwrap_or_default();
    format!(
        "container_memory_working_set_bytes{{container!=\"\",container!=\"POD\",image!=\"\"{ns}}}"
    )
}

/// Scan; exit 1 when a container was OOM-killed or is leaking.
pub fn run(args: &ScanArgs, common: &Common) -> anyhow::Result<u8> {
    let opts = ScanOptions {
        namespace: args.cluster.namespace.clone(),
        restarts_over: args.restarts,
        page_size: args.page_size,
    };
    let endpoint = args.prom.endpoint(None)?;
    let rt = runtime()?;
    let mut collected = rt.block_on(async {
        let cluster = connect(&args.cluster.connect()).await?;
        collect(&cluster, &opts).await
    })?;
    let mut judged = Vec::new();
    if let Some(endpoint) = endpoint {
        let end = args.end.unwrap_or_else(units::now);
        let q = FleetQuery {
            query: memory_query(opts.namespace.as_deref()),
            start: end - args.range.as_secs_f64(),
            end,
            step: None,
            opts: RecognizeOptions::default(),
            limit_query: None,
            restarts_query: None,
            screen: ScreenMode::Auto,
            limits: Default::default(),
            warmup_seconds: 600.0,
            cohorts: Default::default(),
            keep_recent_seconds: 0.0,
        };
        let prom = Prometheus::new(endpoint)?;
        match judge_fleet(&prom, &q, &mut |_| {}) {
            Ok((verdicts, _)) => {
                for v in verdicts {
                    let label = |k: &str| v.labels.get(k).cloned();
                    if let (Some(namespace), Some(pod), Some(container)) =
                        (label("namespace"), label("pod"), label("container"))
                    {
                        judged.push(Judged {
                            namespace,
                            pod,
                            container,
                            verdict: v.verdict,
                        });
                    }
                }
            }
            Err(e @ FleetError::NoSeries { .. }) => collected
                .report
                .notes
                .push(format!("no memory verdicts: {e}")),
            Err(e) => return Err(e.into()),
        }
    }
    let report = assemble(collected, &judged, &opts);
    if !common.quiet {
        for n in &report.notes {
            eprintln!("leakscope: {n}");
        }
    }
    match common.format {
        OutputFormat::Json => out::json(&report)?,
        // Export formats are refused before dispatch (cmd::dispatch).
        _ => out::line(&render::k8s::scan_table(&report, args.restarts))?,
    }
    Ok(u8::from(report.containers.iter().any(|c| c.is_bad())))
}
