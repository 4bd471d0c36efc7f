"""Shared plumbing for the Python example services (standard library only).

Port selection, routing, /metrics (Prometheus text), /stats (JSON), clean
shutdown on SIGTERM/SIGINT, and -- when LEAKSCOPE_TRACEMALLOC=1 -- tracemalloc
with a snapshot dump on SIGUSR2. Each example file holds only the code that
leaks (or does not).

    python3 leaky.py --port 0          # or: PORT=8080 python3 leaky.py
"""

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PATH_RE = re.compile(r"^/(?:user|req)/([0-9A-Za-z_-]{1,64})$")


def parse_port(argv=None):
    """Port from --port, else the PORT env variable, else 0 (ephemeral)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    raw = args.port if args.port is not None else os.environ.get("PORT", "0")
    try:
        port = int(raw)
    except ValueError:
        sys.exit(f"invalid PORT {raw!r}: use an integer 0-65535")
    if not 0 <= port <= 65535:
        sys.exit(f"invalid port {port}: use an integer 0-65535")
    return port


def rss_bytes():
    """Resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def setup_tracemalloc():
    """With LEAKSCOPE_TRACEMALLOC=1: trace allocations 25 frames deep and dump
    a snapshot to $LEAKSCOPE_TRACEMALLOC_DIR (default: the temp dir) as
    tracemalloc-<pid>-<seq>.pickle on every SIGUSR2."""
    if os.environ.get("LEAKSCOPE_TRACEMALLOC") != "1":
        return
    tracemalloc.start(25)
    out_dir = os.environ.get("LEAKSCOPE_TRACEMALLOC_DIR", tempfile.gettempdir())
    seq = [0]

    def dump(signum, frame):
        seq[0] += 1
        path = os.path.join(out_dir, f"tracemalloc-{os.getpid()}-{seq[0]}.pickle")
        tracemalloc.take_snapshot().dump(path)
        print(f"tracemalloc snapshot written to {path}", flush=True)

    signal.signal(signal.SIGUSR2, dump)


class Service:
    """One example service.

    name:        e.g. "python/cache/leaky"
    bytes_per_request: bytes the leaky variant means to retain per request
    handle(key): serves /user/<key> and /req/<key>; returns the response text
    retained():  (entries, payload bytes) the pattern currently retains
    """

    def __init__(self, name, bytes_per_request, handle, retained):
        self.name = name
        self.bytes_per_request = bytes_per_request
        self.handle = handle
        self.retained = retained
        self.requests = 0
        self.lock = threading.Lock()

    def metrics_text(self):
        entries, payload = self.retained()
        metrics = [
            ("process_resident_memory_bytes", "gauge", "Resident set size in bytes.", rss_bytes()),
            ("app_requests_total", "counter", "Requests served on /user and /req.", self.requests),
            ("app_retained_entries", "gauge", "Entries the example retains.", entries),
            ("app_retained_payload_bytes", "gauge", "Payload bytes the example retains.", payload),
        ]
        if tracemalloc.is_tracing():
            traced, _peak = tracemalloc.get_traced_memory()
            metrics.append(
                ("python_tracemalloc_traced_bytes", "gauge", "Bytes traced by tracemalloc.", traced)
            )
        return "".join(
            f"# HELP {n} {h}\n# TYPE {n} {t}\n{n} {v}\n" for n, t, h, v in metrics
        )

    def stats(self):
        entries, payload = self.retained()
        out = {
            "service": self.name,
            "requests": self.requests,
            "retained_entries": entries,
            "retained_payload_bytes": payload,
            "intended_retained_bytes_per_request": self.bytes_per_request,
            "rss_bytes": rss_bytes(),
        }
        if tracemalloc.is_tracing():
            out["tracemalloc_traced_bytes"] = tracemalloc.get_traced_memory()[0]
        return out

    def serve(self, port=None):
        """Listen on 127.0.0.1 until SIGTERM or SIGINT, then exit 0."""
        setup_tracemalloc()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so load generators can reuse connections
            # Headers and body go out in two writes; without TCP_NODELAY, Nagle's
            # algorithm and delayed ACKs stall every keep-alive response by ~40 ms.
            disable_nagle_algorithm = True

            def do_GET(self):
                path = urlsplit(self.path).path
                match = PATH_RE.match(path)
                if match:
                    with service.lock:
                        service.requests += 1
                    self.reply(200, "text/plain", service.handle(match.group(1)))
                elif path == "/metrics":
                    self.reply(200, "text/plain; version=0.0.4", service.metrics_text())
                elif path == "/stats":
                    self.reply(200, "application/json", json.dumps(service.stats()) + "\n")
                else:
                    self.reply(404, "text/plain", "not found: try /user/<n>, /metrics or /stats\n")

            def reply(self, status, content_type, text):
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass  # one line per request would drown the output

        server = ThreadingHTTPServer(("127.0.0.1", parse_port() if port is None else port), Handler)
        server.daemon_threads = True
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: stop.set())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
        while not stop.wait(0.5):
            pass
        print("shutting down", flush=True)
        server.shutdown()
        server.server_close()
