"""A small HTTP service that leaks, and writes a tracemalloc dump whenever it gets SIGUSR2.

    python3 service.py [PORT]          # listens on 127.0.0.1 only
    kill -USR2 <pid>                   # writes $LEAKSCOPE_DUMP_DIR/tracemalloc-<pid>-<n>.pickle

The three lines that matter for your own service are marked "leakscope:" below.
"""
import http.server
import os
import signal
import sys
import tracemalloc

# leakscope: start tracing early, keeping enough frames to see who calls the allocation sites.
tracemalloc.start(int(os.environ.get("TRACEMALLOC_FRAMES", "25")))

DUMP_DIR = os.environ.get("LEAKSCOPE_DUMP_DIR", ".")
_dumps = 0


def dump_snapshot(signum, frame):
    """leakscope: SIGUSR2 handler. Python runs it in the main thread between bytecodes, so
    taking a snapshot here is safe; writing to a temporary name and renaming means readers
    never see a half-written dump."""
    global _dumps
    _dumps += 1
    path = os.path.join(DUMP_DIR, "tracemalloc-%d-%d.pickle" % (os.getpid(), _dumps))
    tracemalloc.take_snapshot().dump(path + ".tmp")
    os.replace(path + ".tmp", path)
    print("wrote", path, file=sys.stderr, flush=True)


# leakscope: install the handler.
signal.signal(signal.SIGUSR2, dump_snapshot)

SEEN = {}  # the leak: every request's body is remembered forever


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        SEEN[len(SEEN)] = ("request %s " % self.path) * 20
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    srv = http.server.HTTPServer(("127.0.0.1", port), Handler)
    print("pid", os.getpid(), "listening on 127.0.0.1:%d" % srv.server_address[1], file=sys.stderr, flush=True)
    # The main thread serves, so the signal handler runs between requests.
    srv.timeout = 0.2
    while True:
        srv.handle_request()


if __name__ == "__main__":
    main()
