# source: https://github.com/PyCQA/flake8/pull/1573 ("fix memory leak caused by lru_cache of a method")
# label: leaky  item: cache (lru_cache on a method)
# Written here after the PR: the manager picks a style guide per filename through a cached
# method, which pins the manager (and its guides) in the cache.
from functools import lru_cache


class GuideManager:
    def __init__(self, guides, default):
        self.guides = guides
        self.default = default

    @lru_cache(maxsize=None)  # LEAK
    def guide_for(self, filename):
        matching = [g for g in self.guides if g.applies_to(filename)]
        return max(matching, key=lambda g: len(g.prefix), default=self.default)
