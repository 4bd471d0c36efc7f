#![no_main]
//! Fuzz what leakscope reads from a Kubernetes API server (its JSON is untrusted): a Pod and
//! an Event decoded as the kube client decodes them, then read by `PodInfo::from_pod` and
//! `OomEvent::from_event` and joined; memory quantities and container ids as text; PodMetrics
//! usage. No input may panic.
use k8s_openapi::api::core::v1::{Event, Pod};
use leakscope_k8s::cgroup_map::ContainerId;
use leakscope_k8s::oom_event::OomEvent;
use leakscope_k8s::pod::PodInfo;
use leakscope_k8s::quantity;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(pod) = serde_json::from_slice::<Pod>(data) {
        let info = PodInfo::from_pod(&pod);
        for c in &info.containers {
            if let Some(l) = c.limit_bytes {
                assert!(l >= 0.0 && l.is_finite());
            }
        }
        if let Ok(ev) = serde_json::from_slice::<Event>(data) {
            if let Some(oom) = OomEvent::from_event(&ev) {
                let pods = [info];
                let _ = oom.join(&pods, &|_| Some(0));
            }
        }
    }
    if let Ok(o) = serde_json::from_slice::<kube::api::DynamicObject>(data) {
        for u in leakscope_k8s::metrics_api::usage_of(&o) {
            assert!(u.working_set_bytes >= 0.0);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(b) = quantity::bytes(text) {
            assert!(b >= 0.0 && b.is_finite());
        }
        if let Some(id) = ContainerId::parse(text) {
            // An id never walks out of the pod's cgroup directory.
            assert!(!id.id.contains('/') && !id.id.contains(".."));
        }
    }
});
