#!/usr/bin/env python3
"""Starts every example service, loads it, and checks what it retains.

For each service: start it on 127.0.0.1 with an ephemeral port, read /stats,
send N requests with unique keys, read /stats, send N more, read /stats and
/metrics, then stop it with SIGTERM and expect exit code 0.

- leaky: retained_entries grows by exactly one per request, and the memory
  the program itself reports (V8 heap after gc, tracemalloc traced bytes, Go
  heap+stack in use after GC) grows by at least 75 % of the intended bytes per
  request;
- fixed: the memory growth over the second batch stays under 25 % of the leaky
  twin's intended bytes per request, and retained_entries stays bounded.

Load comes from leakscope's own generator (--loadgen PATH, or $LEAKSCOPE_LOADGEN)
when given, else from a small threaded keep-alive client in this file.
Everything is loopback-only and bounded in requests and time.

    python3 examples/check.py [--requests 5000] [--only node/cache] [--loadgen PATH]

Ends with a line "N passed, N failed"; exits 1 if any check failed.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
START_TIMEOUT = 20  # seconds for a service to print its "listening on" line
PHASE_TIMEOUT = 120  # seconds for one batch of requests


class Example:
    def __init__(self, name, intended, entries_max=None, memory="heap"):
        self.name = name  # "<lang>/<pattern>/<variant>"
        self.lang, self.pattern, self.variant = name.split("/")
        self.intended = intended  # leaky: bytes per request; fixed: the twin's
        self.entries_max = entries_max  # fixed: bound on retained_entries (None: no bound checked)
        self.memory = memory


EXAMPLES = [
    Example("node/cache/leaky", 2048),
    Example("node/cache/fixed", 2048, entries_max=1000),
    Example("node/listener/leaky", 2048),
    Example("node/listener/fixed", 2048, entries_max=8),
    Example("node/closure/leaky", 4096),
    # Timers stay pending for 10 minutes but hold ~0.2 KiB each, not the page.
    Example("node/closure/fixed", 4096, entries_max=None),
    Example("python/cache/leaky", 2048),
    Example("python/cache/fixed", 2048, entries_max=1000),
    Example("python/records/leaky", 2048),
    Example("python/records/fixed", 2048, entries_max=1000),
    Example("go/goroutines/leaky", 2048),
    Example("go/goroutines/fixed", 2048, entries_max=8),
    Example("go/cache/leaky", 2048),
    Example("go/cache/fixed", 2048, entries_max=1000),
]

MUST_HAVE_METRICS = {
    "node": ["process_resident_memory_bytes", "nodejs_heap_size_used_bytes", "app_requests_total"],
    "python": ["process_resident_memory_bytes", "python_tracemalloc_traced_bytes", "app_requests_total"],
    "go": [
        "process_resident_memory_bytes",
        "go_memstats_heap_inuse_bytes",
        "go_goroutines",
        "app_requests_total",
    ],
}


def command_for(example, go_bin_dir):
    base = os.path.join(HERE, example.lang, example.pattern)
    if example.lang == "node":
        return ["node", "--expose-gc", os.path.join(base, example.variant + ".js"), "--port", "0"]
    if example.lang == "python":
        return [sys.executable, os.path.join(base, example.variant + ".py"), "--port", "0"]
    return [os.path.join(go_bin_dir, f"{example.pattern}-{example.variant}"), "--port", "0"]


def build_go(out_dir):
    """Builds the Go examples into out_dir; returns an error message or None."""
    if shutil.which("go") is None:
        return "go is not installed (apt-get install -y golang-go)"
    go_root = os.path.join(HERE, "go")
    for pattern in ("goroutines", "cache"):
        for variant in ("leaky", "fixed"):
            out = os.path.join(out_dir, f"{pattern}-{variant}")
            result = subprocess.run(
                ["go", "build", "-o", out, f"./{pattern}/{variant}"],
                cwd=go_root,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if result.returncode != 0:
                return f"go build ./{pattern}/{variant} failed: {result.stderr.strip()}"
    return None


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}")
        return body
    finally:
        conn.close()


def stats(port, lang):
    data = json.loads(get(port, "/stats?gc=1"))
    if lang == "node":
        data["memory"] = data["heap_used_bytes"]
    elif lang == "python":
        data["memory"] = data["tracemalloc_traced_bytes"]
    else:
        data["memory"] = data["heap_inuse_bytes"] + data["stack_inuse_bytes"]
    return data


def load_python(port, prefix, count, workers=8):
    """Sends `count` GETs to /user/<prefix><i> over `workers` keep-alive connections."""
    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "failed": 0}
    deadline = time.monotonic() + PHASE_TIMEOUT

    def work():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= count:
                break
            try:
                conn.request("GET", f"/user/{prefix}{i}")
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 400
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            with lock:
                state["ok" if ok else "failed"] += 1
        conn.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return state["ok"], state["failed"]


def load_loadgen(loadgen, port, prefix, count):
    """Sends `count` GETs with leakscope's generator; returns (ok, failed)."""
    result = subprocess.run(
        [
            loadgen,
            f"http://127.0.0.1:{port}/user/{prefix}{{n}}",
            "--concurrency", "8",
            "--max-requests", str(count),
            "--duration", f"{PHASE_TIMEOUT}s",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=PHASE_TIMEOUT + 30,
    )
    ok = failed = None
    for line in result.stdout.splitlines():
        words = line.split()
        if words[:1] == ["ok"]:
            ok = int(words[1])
            failed = sum(int(words[i + 1]) for i, w in enumerate(words) if w == "errors" or w == "timeouts")
    if ok is None:
        raise RuntimeError(f"loadgen printed no summary: {result.stdout} {result.stderr}")
    return ok, failed


def start(cmd, env):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    port = [None]

    def read_port():
        for line in proc.stdout:
            if line.startswith("listening on 127.0.0.1:"):
                port[0] = int(line.rsplit(":", 1)[1])
                break
        for _ in proc.stdout:  # keep draining so the service never blocks on a full pipe
            pass

    reader = threading.Thread(target=read_port, daemon=True)
    reader.start()
    deadline = time.monotonic() + START_TIMEOUT
    while port[0] is None and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    return proc, port[0]


def stop(proc):
    """SIGTERM, then SIGKILL after 5 s; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return "killed (did not exit within 5 s of SIGTERM)"
    return proc.returncode


def check(example, args, go_bin_dir):
    """Runs one example; returns a list of failure messages (empty = passed)."""
    n = args.requests // 2
    env = dict(os.environ)
    env.pop("PORT", None)
    if example.lang == "python":
        env["LEAKSCOPE_TRACEMALLOC"] = "1"
        env["LEAKSCOPE_TRACEMALLOC_DIR"] = tempfile.gettempdir()
    proc, port = start(command_for(example, go_bin_dir), env)
    failures = []
    try:
        if port is None:
            return [f"did not print 'listening on 127.0.0.1:<port>' within {START_TIMEOUT}s"]
        s0 = stats(port, example.lang)
        sent = 0
        snapshots = [s0]
        for phase in ("a", "b"):
            if args.loadgen:
                ok, failed = load_loadgen(args.loadgen, port, phase, n)
            else:
                ok, failed = load_python(port, phase, n)
            sent += ok + failed
            if ok != n or failed:
                failures.append(f"batch {phase}: {ok} ok, {failed} failed of {n}")
            snapshots.append(stats(port, example.lang))
        s0, s1, s2 = snapshots
        metrics = get(port, "/metrics")
        names = {line.split()[0] for line in metrics.splitlines() if line and not line.startswith("#")}
        missing = [m for m in MUST_HAVE_METRICS[example.lang] if m not in names]
        if missing:
            failures.append(f"/metrics lacks {', '.join(missing)}")
        if s2["requests"] != sent:
            failures.append(f"/stats counts {s2['requests']} requests, {sent} were sent")

        per_request = (s2["memory"] - s0["memory"]) / (2 * n)
        second_batch = (s2["memory"] - s1["memory"]) / n
        entries = s2["retained_entries"]
        detail = (
            f"{per_request:7.0f} B/request overall, {second_batch:7.0f} B/request in batch b, "
            f"{entries} entries retained"
        )
        if example.variant == "leaky":
            if s2["retained_entries"] - s0["retained_entries"] != 2 * n:
                failures.append(f"retained_entries grew by {entries - s0['retained_entries']}, expected {2 * n}")
            if per_request < 0.75 * example.intended:
                failures.append(f"retains {per_request:.0f} B/request, expected >= 75% of {example.intended}")
        else:
            if second_batch > 0.25 * example.intended:
                failures.append(f"still grows {second_batch:.0f} B/request, expected < 25% of {example.intended}")
            if example.entries_max is not None and entries > example.entries_max:
                failures.append(f"retains {entries} entries, expected <= {example.entries_max}")
        return failures, detail
    finally:
        code = stop(proc)
        if code != 0:
            failures.append(f"exit code after SIGTERM: {code}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="requests per service (two batches)")
    parser.add_argument("--only", default="", help="run only examples whose name starts with this")
    parser.add_argument("--loadgen", default=os.environ.get("LEAKSCOPE_LOADGEN"),
                        help="path of leakscope's loadgen example binary")
    args = parser.parse_args()
    if args.requests < 200:
        parser.error("--requests must be at least 200")

    passed = failed = 0
    with tempfile.TemporaryDirectory() as go_bin_dir:
        go_error = None
        if any(e.lang == "go" and e.name.startswith(args.only) for e in EXAMPLES):
            go_error = build_go(go_bin_dir)
        for example in EXAMPLES:
            if not example.name.startswith(args.only):
                continue
            started = time.monotonic()
            if example.lang == "go" and go_error:
                failures, detail = [go_error], ""
            elif example.lang == "node" and shutil.which("node") is None:
                failures, detail = ["node is not installed"], ""
            else:
                try:
                    failures, detail = check(example, args, go_bin_dir)
                except Exception as e:  # report and go on with the next service
                    failures, detail = [f"{type(e).__name__}: {e}"], ""
            took = time.monotonic() - started
            verdict = "FAIL" if failures else "ok  "
            print(f"{verdict} {example.name:<22} {took:5.1f}s  {detail}", flush=True)
            for failure in failures:
                print(f"       - {failure}", flush=True)
            if failures:
                failed += 1
            else:
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
