"""FIXED: the same per-user cache, bounded by entry count (LRU) and age (TTL).

OrderedDict keeps keys in order of use when every hit calls move_to_end(),
so the first key is always the least recently used one. Inserting beyond
MAX_ENTRIES evicts from the front, and entries older than TTL_SECONDS count
as misses. Memory is bounded by MAX_ENTRIES x ~2.2 KiB (~2.2 MB) however
many users come by. (functools.lru_cache bounds size too, but has no TTL.)
"""

import os
import sys
import threading
import time
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from service import Service  # noqa: E402

PROFILE_BYTES = 2048
MAX_ENTRIES = int(os.environ.get("CACHE_MAX_ENTRIES", "1000"))
TTL_SECONDS = float(os.environ.get("CACHE_TTL_SECONDS", "60"))


class LruTtlCache:
    def __init__(self, max_entries, ttl_seconds):
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self.entries = OrderedDict()  # key -> (expires_at, value)
        self.lock = threading.Lock()  # request handlers run on many threads

    def get(self, key):
        with self.lock:
            item = self.entries.get(key)
            if item is None:
                return None
            expires_at, value = item
            if expires_at <= time.monotonic():
                del self.entries[key]  # expired: drop it
                return None
            self.entries.move_to_end(key)  # most recently used goes last
            return value

    def put(self, key, value):
        with self.lock:
            self.entries[key] = (time.monotonic() + self.ttl_seconds, value)
            self.entries.move_to_end(key)
            # THE FIX: evict least recently used entries beyond the limit.
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def snapshot(self):
        with self.lock:
            return [value for _, value in self.entries.values()]


PROFILES = LruTtlCache(MAX_ENTRIES, TTL_SECONDS)


def load_profile(user):
    header = f'{{"user":"{user}","bio":"'.encode()
    return header + b"x" * (PROFILE_BYTES - len(header))


def handle(user):
    profile = PROFILES.get(user)
    if profile is None:
        profile = load_profile(user)
        PROFILES.put(user, profile)
    return f"user {user}: {len(profile)} bytes\n"


def retained():
    values = PROFILES.snapshot()
    return len(values), sum(len(v) for v in values)


if __name__ == "__main__":
    Service("python/cache/fixed", 0, handle, retained).serve()
