//! Renders the HTML report in headless Chromium and checks the screenshot: the page lays out,
//! the verdict banner shows in its colour and the chart's series are drawn.
//!
//! Skips (passing, with a message on stderr) when no `chromium` is on PATH; set
//! `LEAKSCOPE_REQUIRE_CHROMIUM=1` to make that a failure instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{decode_png, leak, no_leak, pixel_is};

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Screenshots `html` (a file) at 1200×1600 into `png`; Err with Chromium's output on failure.
fn screenshot(chrome: &Path, html: &Path, png: &Path, profile: &Path) -> Result<(), String> {
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
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,1600")
        .arg(format!("file://{}", html.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", chrome.display()))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let out = child
                    .wait_with_output()
                    .map(|o| o.stderr)
                    .unwrap_or_default();
                return Err(format!(
                    "chromium exited with {status}: {}",
                    String::from_utf8_lossy(&out)
                ));
            }
            Ok(None) if start.elapsed() > Duration::from_secs(120) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("chromium took more than 120 s".into());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("waiting for chromium: {e}")),
        }
    }
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(chrome) = find_chromium() else {
        let msg = "chromium not found on PATH (Debian: apt-get install -y chromium); \
                   skipping the headless rendering check";
        assert!(
            std::env::var_os("LEAKSCOPE_REQUIRE_CHROMIUM").is_none(),
            "{msg}"
        );
        eprintln!("SKIPPED report_renders_in_headless_chromium: {msg}");
        return;
    };
    let dir =
        std::env::temp_dir().join(format!("leakscope-report-chromium-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cases = [
        ("leak", leak(), (0xcf, 0x22, 0x2e)),
        ("no-leak", no_leak(), (0x1a, 0x7f, 0x37)),
    ];
    for (name, data, banner) in cases {
        let html = dir.join(format!("{name}.html"));
        let png = dir.join(format!("{name}.png"));
        let profile = dir.join(format!("{name}-profile"));
        leakscope_report::write_html(&html, &data).expect("write html");
        if let Err(e) = screenshot(&chrome, &html, &png, &profile) {
            panic!("{name}: {e}");
        }
        let img = decode_png(&std::fs::read(&png).expect("screenshot written"));
        assert_eq!((img.0, img.1), (1200, 1600), "{name}: screenshot size");
        // The verdict banner: a wide band of the verdict colour near the top.
        let banner_px = (0..200)
            .flat_map(|y| (0..1200).map(move |x| (x, y)))
            .filter(|(x, y)| pixel_is(&img, *x, *y, banner, 6))
            .count();
        assert!(
            banner_px > 50_000,
            "{name}: verdict banner has only {banner_px} px of its colour"
        );
        // The memory series (blue) and the load (purple) are drawn somewhere below.
        let count = |rgb| {
            (200..1600)
                .flat_map(|y| (0..1200).map(move |x| (x, y)))
                .filter(|(x, y)| pixel_is(&img, *x, *y, rgb, 24))
                .count()
        };
        let memory_px = count((0x1f, 0x6f, 0xeb));
        let rps_px = count((0x82, 0x50, 0xdf));
        assert!(memory_px > 500, "{name}: memory series has {memory_px} px");
        assert!(rps_px > 500, "{name}: requests/s series has {rps_px} px");
        eprintln!(
            "{name}: banner {banner_px} px, memory {memory_px} px, rps {rps_px} px ({})",
            png.display()
        );
    }
    if std::env::var_os("LEAKSCOPE_KEEP_SCREENSHOTS").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
