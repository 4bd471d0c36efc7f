"""LEAKY: a global list of request records that is appended to forever.

Each /req/<n> request appends a record -- its id, time and a 2 KiB snapshot
of the request "for debugging" -- to REQUEST_LOG. Nothing ever trims the
list, so it holds every request the process has served. Retained per
request: the 2,048-byte snapshot (2,081 bytes as a bytes object) plus the
record tuple and list slot -- about 2.2 KiB.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from service import Service  # noqa: E402

SNAPSHOT_BYTES = 2048

# THE LEAK: a module-level list that only ever grows.
REQUEST_LOG = []


def handle(request_id):
    header = f"request {request_id} at {time.time():.6f}: ".encode()
    snapshot = header + b"r" * (SNAPSHOT_BYTES - len(header))
    REQUEST_LOG.append((request_id, time.time(), snapshot))  # list.append is atomic under the GIL
    return f"request {request_id}: logged\n"


def retained():
    records = list(REQUEST_LOG)
    return len(records), sum(len(snapshot) for _, _, snapshot in records)


if __name__ == "__main__":
    Service("python/records/leaky", SNAPSHOT_BYTES, handle, retained).serve()
