//! The `heap --html` page rendered in headless Chromium, from reports of real snapshots and
//! profiles (tests/fixtures): it lays out, the suspects and the picture (an icicle of the V8
//! dominator tree, inferno's flame graph for pprof and tracemalloc) are drawn, the table
//! sorts in the browser, and names from a hostile snapshot stay text.
//!
//! Skips (passing, with a message on stderr) when no `chromium` is on PATH; set
//! `LEAKSCOPE_REQUIRE_CHROMIUM=1` to make that a failure instead.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{decode_png, pixel_is};
use leakscope_heap::picture::{Picture, TreeNode};
use leakscope_heap::{Column, Group, HeapReport, Options, Suspect, Unit};

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        let msg = "chromium not found on PATH (Debian: apt-get install -y chromium)";
        assert!(
            std::env::var_os("LEAKSCOPE_REQUIRE_CHROMIUM").is_none(),
            "{msg}"
        );
        eprintln!("SKIPPED {test}: {msg}");
    }
    found
}

/// Run headless Chromium on `url` with `mode` (`--screenshot=...` or `--dump-dom`); its
/// stdout, or Err with its stderr.
fn chromium(chrome: &Path, profile: &Path, mode: &str, url: &str) -> Result<String, String> {
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,1800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(mode)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", chrome.display()))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > Duration::from_secs(120) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("chromium took more than 120 s".into());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("waiting for chromium: {e}")),
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "chromium exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn pictures() -> Options {
    Options {
        pictures: true,
        ..Default::default()
    }
}

/// Pixels of the screenshot within `tol` of `rgb`, in rows `ys`.
fn count(
    img: &(u32, u32, Vec<u8>, usize),
    ys: std::ops::Range<i64>,
    rgb: (u8, u8, u8),
    tol: u8,
) -> usize {
    ys.flat_map(|y| (0..img.0 as i64).map(move |x| (x, y)))
        .filter(|(x, y)| pixel_is(img, *x, *y, rgb, tol))
        .count()
}

/// Pixels in warm flame colours (red/orange/yellow, as both pictures draw).
fn warm(img: &(u32, u32, Vec<u8>, usize)) -> usize {
    let (w, h, buf, bpp) = img;
    (0..(*w as usize * *h as usize))
        .filter(|i| {
            let p = &buf[i * bpp..i * bpp + 3];
            let (r, g, b) = (p[0] as i32, p[1] as i32, p[2] as i32);
            r > 200 && b < 120 && g > 60 && r - b > 110
        })
        .count()
}

struct Rendered {
    dom: String,
    img: (u32, u32, Vec<u8>, usize),
}

fn render(chrome: &Path, dir: &Path, name: &str, report: &HeapReport, hash: &str) -> Rendered {
    let html = dir.join(format!("{name}.html"));
    leakscope_report::write_heap_html(&html, report).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&html).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "heap contents: owner only");
    }
    let url = format!("file://{}{hash}", html.display());
    let png = dir.join(format!("{name}.png"));
    chromium(
        chrome,
        &dir.join(format!("{name}-profile")),
        &format!("--screenshot={}", png.display()),
        &url,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let dom = chromium(chrome, &dir.join(format!("{name}-dom")), "--dump-dom", &url)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let img = decode_png(&std::fs::read(&png).unwrap());
    assert_eq!((img.0, img.1), (1200, 1800), "{name}: screenshot size");
    Rendered { dom, img }
}

/// The `data-v` values of column `col` (0 = name) of the rendered table, top to bottom.
fn column(dom: &str, col: usize) -> Vec<f64> {
    let body = &dom[dom.find("<tbody>").unwrap()..dom.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            let cell = row.split("<td").nth(col + 1).unwrap();
            let v = cell.split("data-v=\"").nth(1).unwrap();
            v[..v.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

#[test]
fn heap_pages_render_with_their_pictures_and_sort() {
    let Some(chrome) = chromium_or_skip("heap_pages_render_with_their_pictures_and_sort") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let v8_files: Vec<PathBuf> = (1..=3)
        .map(|i| fixture(&format!("v8/service-{i}.heapsnapshot")))
        .collect();
    let v8 = leakscope_heap::diff(&v8_files, &pictures()).unwrap();
    // V8: sorted by the browser on load, descending by # New.
    let r = render(&chrome, dir.path(), "v8", &v8, "#sort=-new");
    let new_col = 1 + v8.columns.iter().position(|c| c.key == "new").unwrap();
    let news = column(&r.dom, new_col);
    assert!(news.len() > 10);
    assert!(news.windows(2).all(|w| w[0] >= w[1]), "sorted: {news:?}");
    assert!(r.dom.contains("data-sorted=\"new:desc\""));
    // Its first row differs from the report's own order (by size delta): the browser sorted.
    assert_ne!(news[0], v8.groups[0].values["new"]);
    // Four suspects, each with its path, and the icicle of the dominator tree.
    assert_eq!(
        r.dom.matches("class=\"suspect\"").count(),
        v8.suspects.len()
    );
    assert!(r.dom.contains("pendingHandlers (Array)"));
    let cells = r.dom.matches("class=\"cell\"").count();
    assert!(cells > 10, "icicle cells: {cells}");
    assert!(r.dom.contains("module leaky-service.js"));
    let red = count(&r.img, 0..1800, (0xcf, 0x22, 0x2e), 10);
    assert!(red > 1000, "suspect borders: {red} px");
    let flames = warm(&r.img);
    assert!(flames > 20_000, "icicle: {flames} warm px");

    // pprof: inferno's flame graph of the allocation stacks, inline.
    let go = leakscope_heap::top(&fixture("go/heap2.pb.gz"), &pictures()).unwrap();
    let r = render(&chrome, dir.path(), "pprof", &go, "");
    assert!(r.dom.contains("id=\"flamegraph\""));
    assert!(r.dom.contains("main.leakCache"));
    let flames = warm(&r.img);
    assert!(flames > 20_000, "flame graph: {flames} warm px");

    // tracemalloc diff: stacks that grew.
    let py = leakscope_heap::diff(
        &[
            fixture("python/snap_1.pickle"),
            fixture("python/snap_2.pickle"),
        ],
        &pictures(),
    )
    .unwrap();
    let r = render(&chrome, dir.path(), "tracemalloc", &py, "");
    assert!(r.dom.contains("cache.py:9"));
    assert!(warm(&r.img) > 5_000);
}

const HOSTILE: &str = "</script><script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">&amp;\"';x";

fn hostile_report() -> HeapReport {
    let mut r = HeapReport::new("v8", "snapshot", "diff", vec![HOSTILE.into()]);
    r.matching = Some(HOSTILE.into());
    r.columns = vec![Column::new("size_delta", HOSTILE, Unit::Bytes)];
    r.groups = vec![Group {
        name: HOSTILE.into(),
        location: Some(HOSTILE.into()),
        values: [("size_delta".to_string(), 1234.0)].into_iter().collect(),
    }];
    r.suspects = vec![Suspect {
        pattern: HOSTILE.into(),
        name: HOSTILE.into(),
        retainer_path: vec![HOSTILE.into(), format!("{HOSTILE}\n;;\u{0}")],
        count_delta: 1,
        size_delta: 2,
        advice: HOSTILE.into(),
        extra: Default::default(),
    }];
    r.notes = vec![HOSTILE.into()];
    r
}

#[test]
fn names_from_a_hostile_snapshot_stay_text() {
    let Some(chrome) = chromium_or_skip("names_from_a_hostile_snapshot_stay_text") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut tree = hostile_report();
    tree.picture = Some(Picture::Tree(TreeNode {
        name: HOSTILE.into(),
        value: 1e6,
        children: vec![TreeNode {
            name: HOSTILE.into(),
            value: 6e5,
            children: Vec::new(),
        }],
    }));
    let mut flame = hostile_report();
    flame.picture = Some(Picture::Stacks {
        what: HOSTILE.into(),
        bytes: true,
        stacks: vec![
            (vec![HOSTILE.into(), format!("a;b\n{HOSTILE}")], 1000),
            (vec![HOSTILE.into()], 500),
        ],
    });
    for (name, report, scripts) in [("tree", &tree, 1), ("flame", &flame, 2)] {
        let page = leakscope_report::heap_html(report);
        assert!(
            !page.contains("<script>document"),
            "{name}: raw script in the page"
        );
        assert!(!page.contains("<img"), "{name}: raw img in the page");
        let r = render(&chrome, dir.path(), name, report, "");
        // Only the page's own scripts (and inferno's, in the flame graph) exist in the DOM,
        // no element came from a name, and the title was not changed by injected code.
        assert_eq!(
            r.dom.matches("<script").count(),
            scripts,
            "{name}: {}",
            r.dom
        );
        assert!(!r.dom.contains("<img"), "{name}");
        assert!(!r.dom.contains("<title>pwned"), "{name}");
        assert!(
            r.dom.contains("&lt;/script&gt;&lt;script&gt;"),
            "{name}: shown as text"
        );
    }
}
