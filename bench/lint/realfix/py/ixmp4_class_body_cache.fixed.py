# source: https://github.com/iiasa/ixmp4/pull/25 ("Fix potential memory leak")
# label: fixed  item: cache (lru_cache on a method)
# The cache is made in __init__, per instance.
from functools import lru_cache


class ManagerConfig:
    def __init__(self, url, auth):
        self.url = url
        self.auth = auth
        self.platform_info = lru_cache()(self._platform_info)

    def _platform_info(self, name):
        return self.auth.session.get(f"{self.url}/platforms/{name}").json()
