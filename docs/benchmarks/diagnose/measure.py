#!/usr/bin/env python3
"""Time from the leak alert to the named culprit, and the service's throughput during the
captures, for `leakscope watch --diagnose` on a Node example (docs/benchmarks/diagnose.md).

    python3 docs/benchmarks/diagnose/measure.py target/release/leakscope [leaky|fixed] [RATE]

Starts `watch --diagnose -- node examples/node/cache/<variant>.js`, drives RATE requests a
second (a new user each) on one keep-alive connection, and prints one JSON object: when the
first MemoryGrowthLeak line came, when the line carrying `diagnosis` came, the diagnosis'
own `took_seconds`, and requests answered per 250 ms with the slowest request in each slot
(so a stop-the-world snapshot shows as a gap).
"""
import http.client, json, os, signal, socket, subprocess, sys, tempfile, threading, time

exe = sys.argv[1]
variant = sys.argv[2] if len(sys.argv) > 2 else "leaky"
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 400.0
repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
work = tempfile.mkdtemp(prefix="leakscope-diag-bench-")
cfg = os.path.join(work, "d.toml")
with open(cfg, "w") as f:
    f.write('[diagnose]\ncaptures = 3\nmin_spacing = "2s"\nmax_spacing = "3s"\n')
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
watch = subprocess.Popen(
    [exe, "watch", "--diagnose", "--config", cfg, "--interval", "1s", "--min-span", "30s",
     "--warmup", "5s", "--alert-growth", "1MB", "--alert-window", "20s",
     "--db", os.path.join(work, "l.db"), "--log", os.path.join(work, "log.jsonl"),
     "--", "node", os.path.join(repo, f"examples/node/cache/{variant}.js"), "--port", str(port)],
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
t0 = time.time()
events = {}
def read():
    for line in watch.stderr:
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
            time.sleep(due - time.time())
        try:
            if c is None:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            a = time.time()
            c.request("GET", f"/user/{n}"); c.getresponse().read()
            b = time.time()
            slot = slots.setdefault(int((b - t0) * 4), [0, 0.0])
            slot[0] += 1; slot[1] = max(slot[1], b - a)
        except Exception:
            c = None
        n += 1
threading.Thread(target=load, daemon=True).start()
deadline = time.time() + (120 if variant == "leaky" else 75)
while time.time() < deadline and "diagnosis" not in events:
    time.sleep(0.2)
time.sleep(2)
stop = True
watch.send_signal(signal.SIGTERM); watch.wait(timeout=60)
first = min(slots) if slots else 0
print(json.dumps({
    "variant": variant, "rate": rate, **events,
    "alert_to_culprit_seconds": round(events["diagnosis"] - events["alert"], 2) if "diagnosis" in events else None,
    "per_250ms": [[round(k / 4, 2), v[0], round(v[1], 3)] for k, v in sorted(slots.items()) if k >= first],
}))
