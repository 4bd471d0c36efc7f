# source: https://github.com/getsentry/seer/pull/2512 ("Fix memory leak due to functools caches")
# label: leaky  item: cache (functools.cache on a method)
# Written here after the PR's description: a repository client whose file reads are cached with
# functools.cache on the method, so every client instance ever made stays in the cache.
import functools


class RepoClient:
    def __init__(self, api, repo):
        self.api = api
        self.repo = repo

    @functools.cache  # LEAK
    def get_file_content(self, path, sha):
        return self.api.contents(self.repo, path, ref=sha).decoded
