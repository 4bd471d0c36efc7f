# source: https://github.com/iiasa/ixmp4/pull/25 ("Fix potential memory leak")
# label: leaky  item: cache (lru_cache on a method)
# Written here after the PR: a config class whose credential lookup is cached in the class
# body, so the cache outlives (and keeps) every instance.
from functools import lru_cache


class ManagerConfig:
    def __init__(self, url, auth):
        self.url = url
        self.auth = auth

    @lru_cache()  # LEAK
    def platform_info(self, name):
        return self.auth.session.get(f"{self.url}/platforms/{name}").json()
