"""FIXED: request records kept in a bounded queue.

collections.deque(maxlen=N) drops the oldest record when a new one arrives
and the queue is full, so REQUEST_LOG holds at most the last MAX_RECORDS
requests (~2.2 MB at the default 1,000) -- still enough to debug recent
traffic. Appending to a deque is thread-safe.
"""

import os
import sys
import time
from collections import deque

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from service import Service  # noqa: E402

SNAPSHOT_BYTES = 2048
MAX_RECORDS = int(os.environ.get("MAX_RECORDS", "1000"))

# THE FIX: the queue forgets the oldest record once it holds MAX_RECORDS.
REQUEST_LOG = deque(maxlen=MAX_RECORDS)


def handle(request_id):
    header = f"request {request_id} at {time.time():.6f}: ".encode()
    snapshot = header + b"r" * (SNAPSHOT_BYTES - len(header))
    REQUEST_LOG.append((request_id, time.time(), snapshot))
    return f"request {request_id}: logged\n"


def retained():
    records = list(REQUEST_LOG)
    return len(records), sum(len(snapshot) for _, _, snapshot in records)


if __name__ == "__main__":
    Service("python/records/fixed", 0, handle, retained).serve()
