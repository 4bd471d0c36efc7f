# source: https://github.com/pytest-dev/pytest/pull/9148 ("Avoid `@lru_cache` on methods")
# label: leaky  item: cache (lru_cache on a method)
# Written here after the PR's description, not copied: a method cache that also keys on, and
# so keeps alive, every instance it was called on.
import functools
import os


class ConftestIndex:
    def __init__(self, rootdir):
        self.rootdir = rootdir

    @functools.lru_cache(maxsize=128)  # LEAK
    def modules_for(self, path):
        found = []
        for parent in reversed(os.path.abspath(path).split(os.sep)):
            candidate = os.path.join(self.rootdir, parent, "conftest.py")
            if os.path.exists(candidate):
                found.append(candidate)
        return found
