# source: https://github.com/getsentry/seer/pull/2512 ("Fix memory leak due to functools caches")
# label: fixed  item: cache (functools.cache on a method)
# The cache is built per instance in __init__ around the unbound work, bounded, and dies with it.
import functools


class RepoClient:
    def __init__(self, api, repo):
        self.api = api
        self.repo = repo
        self.get_file_content = functools.lru_cache(maxsize=16)(self._get_file_content)

    def _get_file_content(self, path, sha):
        return self.api.contents(self.repo, path, ref=sha).decoded
