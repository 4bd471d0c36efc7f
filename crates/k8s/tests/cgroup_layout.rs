//! kubelet's cgroup layouts made as real cgroups on this machine — cgroupfs and systemd
//! drivers, containerd, CRI-O and docker names, the three QoS classes — found by the node
//! agent's mapping and sampled through the probe; a real OOM kill seen through the counters.
//! cgroup v1 memory is what this machine has (`/sys/fs/cgroup/memory`); the v2 layouts are
//! made in the unified hierarchy (no memory controller there, so they are found, not sampled).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::fs;
use std::process::{Command, Stdio};

mod support;

use leakscope_k8s::cgroup_map::{container_dir, pod_dir, ContainerId, Driver, Layout, QosClass};
use leakscope_k8s::node::oom_kills;
use leakscope_probe::cgroup::Cgroup;
use support::cgroups::Root;

const UIDS: [&str; 3] = [
    "8f3a1c2e-5b6d-4e7f-9a0b-1c2d3e4f5a6b",
    "1b2c3d4e-5f60-4718-89a0-b1c2d3e4f506",
    "3d4e5f60-7182-493a-abc1-d2e3f4051728",
];

fn id(runtime: &str, n: u8) -> ContainerId {
    ContainerId::parse(&format!("{runtime}://{}", format!("{n:02x}").repeat(32))).unwrap()
}

/// Every driver x runtime x QoS class, made under `root`, found again by the mapping.
fn layouts_are_found(root: &Root) {
    let mut n = 0u8;
    let mut made = Vec::new();
    for (di, driver) in [Driver::Cgroupfs, Driver::Systemd].into_iter().enumerate() {
        for (qi, qos) in [
            QosClass::Guaranteed,
            QosClass::Burstable,
            QosClass::BestEffort,
        ]
        .into_iter()
        .enumerate()
        {
            // One pod per driver and class (a node uses one driver; the mapping tries both).
            let uid = format!("{}{}", &UIDS[qi][..35], di);
            let pod = root.mkdir(pod_dir(driver, qos, &uid));
            for runtime in ["containerd", "cri-o", "docker"] {
                n += 1;
                let cid = id(runtime, n);
                let c = root.mkdir(
                    pod.strip_prefix(&root.dir)
                        .unwrap()
                        .join(container_dir(driver, &cid)),
                );
                made.push((uid.clone(), qos, cid, pod.clone(), c));
            }
            if driver == Driver::Systemd {
                // CRI-O's conmon scope sits beside the container's and must not be taken.
                let cid = id("cri-o", n);
                root.mkdir(
                    pod.strip_prefix(&root.dir)
                        .unwrap()
                        .join(format!("crio-conmon-{}.scope", cid.id)),
                );
            }
        }
    }
    let layout = Layout::find(&root.dir);
    for (uid, qos, cid, pod, c) in &made {
        let found = layout
            .pod(uid, *qos)
            .unwrap_or_else(|| panic!("pod {uid} {qos:?}"));
        assert_eq!(&found, pod);
        assert_eq!(layout.container(&found, cid).as_ref(), Some(c), "{cid:?}");
    }
    assert_eq!(
        layout.pod("00000000-0000-4000-8000-000000000000", QosClass::Burstable),
        None
    );
}

#[test]
fn v1_memory_cgroups_in_kubelet_layouts_are_found_and_sampled() {
    let root = match Root::create("/sys/fs/cgroup/memory", "v1") {
        Ok(r) => r,
        Err(why) => {
            eprintln!("SKIP: no writable cgroup v1 memory hierarchy here ({why})");
            return;
        }
    };
    layouts_are_found(&root);
    // A container cgroup found this way is one the probe samples: memory and its limit.
    let layout = Layout::find(&root.dir);
    let pod = layout
        .pod(&format!("{}{}", &UIDS[1][..35], 1), QosClass::Burstable)
        .unwrap();
    let c = layout.container(&pod, &id("containerd", 13)).unwrap();
    fs::write(c.join("memory.limit_in_bytes"), (64u64 << 20).to_string()).unwrap();
    let mut cg = Cgroup::open(&c).unwrap();
    let s = cg.sample().unwrap();
    assert_eq!(s.limit_bytes, Some(64 << 20));
    assert_eq!(oom_kills(&c), Some(0));
}

#[test]
fn v2_layouts_are_found() {
    let root = match Root::create("/sys/fs/cgroup/unified", "v2") {
        Ok(r) => r,
        Err(_) => match Root::create("/sys/fs/cgroup", "v2") {
            Ok(r) => r,
            Err(why) => {
                eprintln!("SKIP: no writable cgroup v2 hierarchy here ({why})");
                return;
            }
        },
    };
    assert!(
        root.dir.join("cgroup.controllers").exists(),
        "a cgroup2 directory"
    );
    layouts_are_found(&root);
}

#[test]
fn an_oom_kill_in_a_container_cgroup_moves_its_counter() {
    let root = match Root::create("/sys/fs/cgroup/memory", "oom") {
        Ok(r) => r,
        Err(why) => {
            eprintln!("SKIP: no writable cgroup v1 memory hierarchy here ({why})");
            return;
        }
    };
    let uid = UIDS[0];
    let pod = root.mkdir(pod_dir(Driver::Systemd, QosClass::Burstable, uid));
    let cid = id("containerd", 1);
    let c = root.mkdir(
        pod.strip_prefix(&root.dir)
            .unwrap()
            .join(container_dir(Driver::Systemd, &cid)),
    );
    fs::write(c.join("memory.limit_in_bytes"), (48u64 << 20).to_string()).unwrap();
    let _ = fs::write(c.join("memory.swappiness"), "0");
    let found = Layout::find(&root.dir);
    let found = found
        .container(&found.pod(uid, QosClass::Burstable).unwrap(), &cid)
        .unwrap();
    assert_eq!(found, c);
    let before = oom_kills(&found).unwrap();
    let script = format!(
        "echo $$ > {}/cgroup.procs && exec python3 -c 'import time\nb=[]\nfor i in range(100):\n    b.append(bytearray(8<<20)); time.sleep(0.01)\n'",
        c.display()
    );
    let status = Command::new("sh")
        .args(["-c", &script])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the allocator was killed");
    assert_eq!(oom_kills(&found), Some(before + 1));
}
