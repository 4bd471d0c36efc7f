# source: https://github.com/pytest-dev/pytest/pull/9148 ("Avoid `@lru_cache` on methods")
# label: fixed  item: cache (lru_cache on a method)
# The cache lives on the instance, so it goes away with it.
import os


class ConftestIndex:
    def __init__(self, rootdir):
        self.rootdir = rootdir
        self._modules = {}

    def modules_for(self, path):
        try:
            return self._modules[path]
        except KeyError:
            pass
        found = []
        for parent in reversed(os.path.abspath(path).split(os.sep)):
            candidate = os.path.join(self.rootdir, parent, "conftest.py")
            if os.path.exists(candidate):
                found.append(candidate)
        self._modules[path] = found
        return found
