#!/usr/bin/env bash
# Renders a sample soak report (crates/report) and screenshots it in headless Chromium.
#
#   scripts/render-report.sh [OUT_DIR] [leak|no-leak]
#
# Writes OUT_DIR/report.html, plot.svg, plot.png and screenshot.png (default OUT_DIR:
# target/report-sample). Needs Debian's `chromium` (apt-get install -y chromium); without it the
# report and plots are still written and the script says why there is no screenshot.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/target/report-sample}"
sample="${2:-leak}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

cargo run --quiet --manifest-path "$root/Cargo.toml" -p leakscope-report --example render -- "$out" "$sample"

chrome="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$chrome" ]; then
    echo "render-report: no chromium on PATH; install it with 'apt-get install -y chromium' for the screenshot" >&2
    echo "render-report: wrote $out/report.html, $out/plot.svg, $out/plot.png"
    exit 0
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
sandbox=()
# Chromium refuses to run as root with its sandbox on.
if [ "$(id -u)" = 0 ]; then sandbox=(--no-sandbox); fi
timeout 120 "$chrome" --headless "${sandbox[@]}" --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="$out/screenshot.png" --window-size=1200,1600 \
    "file://$out/report.html" >"$out/chromium.log" 2>&1 || {
    echo "render-report: chromium failed; see $out/chromium.log" >&2
    exit 2
}
echo "render-report: wrote $out/screenshot.png (and report.html, plot.svg, plot.png)"
