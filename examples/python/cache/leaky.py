"""LEAKY: an in-memory cache keyed per user that nothing ever evicts.

Every /user/<n> request builds a 2 KiB profile for user <n> and keeps it in
the module-level dict PROFILES "so the next request for that user is fast".
With a new user on every request the dict only grows. Retained per request:
the 2,048-byte payload (2,081 bytes as a bytes object) plus the key string
and the dict slot -- about 2.2 KiB.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from service import Service  # noqa: E402

PROFILE_BYTES = 2048

# THE LEAK: a global dict with no size limit and no expiry.
PROFILES = {}


def load_profile(user):
    """Stands in for a database call; the payload is unique per user."""
    header = f'{{"user":"{user}","bio":"'.encode()
    return header + b"x" * (PROFILE_BYTES - len(header))


def handle(user):
    profile = PROFILES.get(user)
    if profile is None:
        profile = load_profile(user)
        PROFILES[user] = profile  # stored forever
    return f"user {user}: {len(profile)} bytes\n"


def retained():
    # list() takes a consistent copy while request threads may be inserting.
    values = list(PROFILES.values())
    return len(values), sum(len(v) for v in values)


if __name__ == "__main__":
    Service("python/cache/leaky", PROFILE_BYTES, handle, retained).serve()
