# source: https://github.com/PyCQA/flake8/pull/1573 ("fix memory leak caused by lru_cache of a method")
# label: fixed  item: cache (lru_cache on a method)
# The lookup is a plain function of its arguments; the cache no longer holds the manager.
import functools


def _pick(guides, default, filename):
    matching = [g for g in guides if g.applies_to(filename)]
    return max(matching, key=lambda g: len(g.prefix), default=default)


class GuideManager:
    def __init__(self, guides, default):
        self.guides = tuple(guides)
        self.default = default
        self.guide_for = functools.lru_cache(maxsize=None)(self._guide_for)

    def _guide_for(self, filename):
        return _pick(self.guides, self.default, filename)
