#!/usr/bin/env python3
"""Time from the leak alert to the named culprit, and the service's throughput during the
captures, for `leakscope watch --diagnose` on an example service (docs/benchmarks/diagnose.md).

    python3 docs/benchmarks/diagnose/measure.py target/release/leakscope [leaky|fixed] [RATE] [node|go|python]

Starts `watch --diagnose -- SERVICE` for the example of that language and variant
(node: examples/node/cache/<variant>.js, heap snapshots through the inspector; go:
examples/go/cache/<variant> built with `go build`, watched with `--pprof` on its port;
python: examples/python/records/<variant>.py with LEAKSCOPE_TRACEMALLOC=1, tracemalloc dumps
through its signal hook), drives RATE requests a second (a new key each) on one keep-alive
connection, and prints one JSON object: when the first MemoryGrowthLeak line came, when the
line carrying `diagnosis` came, the diagnosis' own `took_seconds`, the load average before
and after, and requests answered per 250 ms with the slowest request in each slot (so a
stop-the-world capture shows as a gap).
"""
import http.client, json, os, signal, socket, subprocess, sys, tempfile, threading, time

exe = sys.argv[1]
variant = sys.argv[2] if len(sys.argv) > 2 else "leaky"
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 400.0
lang = sys.argv[4] if len(sys.argv) > 4 else "node"
repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
work = tempfile.mkdtemp(prefix="leakscope-diag-bench-")
cfg = os.path.join(work, "d.toml")
with open(cfg, "w") as f:
    f.write('[diagnose]\ncaptures = 3\nmin_spacing = "2s"\nmax_spacing = "3s"\n')
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
env = dict(os.environ)
extra = []
if lang == "node":
    service = ["node", os.path.join(repo, f"examples/node/cache/{variant}.js")]
    path = "user"
elif lang == "go":
    binary = os.path.join(work, f"go-cache-{variant}")
    subprocess.run(["go", "build", "-o", binary, f"./cache/{variant}"],
                   cwd=os.path.join(repo, "examples/go"), check=True)
    service = [binary]
    extra = ["--pprof", f"http://127.0.0.1:{port}"]
    path = "user"
elif lang == "python":
    service = [sys.executable, os.path.join(repo, f"examples/python/records/{variant}.py")]
    env["LEAKSCOPE_TRACEMALLOC"] = "1"
    env["LEAKSCOPE_TRACEMALLOC_DIR"] = os.path.join(work, "dumps")
    os.makedirs(env["LEAKSCOPE_TRACEMALLOC_DIR"], mode=0o700)
    path = "req"
else:
    sys.exit(f"unknown language {lang}: node, go or python")
load_before = os.getloadavg()
watch = subprocess.Popen(
    [exe, "watch", "--diagnose", "--config", cfg, "--interval", "1s", "--min-span", "30s",
     "--warmup", "5s", "--alert-growth", "1MB", "--alert-window", "20s", *extra,
     "--db", os.path.join(work, "l.db"), "--log", os.path.join(work, "log.jsonl"),
     "--", *service, "--port", str(port)],
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
t0 = time.time()
events = {}
def read():
    for line in watch.stderr:
        if ": diagnosis skipped" in line or ": diagnosis failed" in line:
            events.setdefault("diagnosis_error", line.strip())
        try:
            v = json.loads(line)
        except ValueError:
            continue
        if v.get("name") == "MemoryGrowthLeak" and v.get("status") == "firing":
            events.setdefault("alert", time.time() - t0)
            if "diagnosis" in v:
                events["diagnosis"] = time.time() - t0
                events["took_seconds"] = v["diagnosis"]["took_seconds"]
                events["culprit"] = (v["diagnosis"]["suspects"] or [{}])[0].get("name")
                events["format"] = v["diagnosis"]["format"]
threading.Thread(target=read, daemon=True).start()
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close(); break
    except OSError:
        time.sleep(0.05)
slots = {}  # 250 ms slot -> [answered, slowest seconds]
stop = False
def load():
    c, n, start = None, 0, time.time()
    while not stop:
        due = start + n / rate
        if due > time.time():
            time.sleep(max(0.0, due - time.time()))
        try:
            if c is None:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            a = time.time()
            c.request("GET", f"/{path}/{n}"); c.getresponse().read()
            b = time.time()
            slot = slots.setdefault(int((b - t0) * 4), [0, 0.0])
            slot[0] += 1; slot[1] = max(slot[1], b - a)
        except Exception:
            c = None
        n += 1
threading.Thread(target=load, daemon=True).start()
deadline = time.time() + (180 if variant == "leaky" else 75)
while time.time() < deadline and "diagnosis" not in events and "diagnosis_error" not in events:
    time.sleep(0.2)
time.sleep(2)
stop = True
watch.send_signal(signal.SIGTERM); watch.wait(timeout=60)
first = min(slots) if slots else 0
print(json.dumps({
    "lang": lang, "variant": variant, "rate": rate, "exe": exe,
    "loadavg_before": [round(x, 2) for x in load_before],
    "loadavg_after": [round(x, 2) for x in os.getloadavg()], **events,
    "alert_to_culprit_seconds": round(events["diagnosis"] - events["alert"], 2) if "diagnosis" in events else None,
    "per_250ms": [[round(k / 4, 2), v[0], round(v[1], 3)] for k, v in sorted(slots.items()) if k >= first],
}))
