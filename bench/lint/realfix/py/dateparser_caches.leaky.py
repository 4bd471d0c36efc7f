# source: https://github.com/scrapinghub/dateparser/pull/1140 ("fix leak of memory in cache - add settings.CACHE_SIZE_LIMIT")
# label: leaky  item: cache (unbounded module-level cache)
# Written here after the PR's description: per-language regex caches keyed by the settings of
# each call; a new RELATIVE_BASE per call adds an entry every time and nothing is removed.
import re

_split_regex_cache = {}


def split_regex(language, settings):
    key = (language, settings.key())
    if key not in _split_regex_cache:
        words = sorted(settings.words(language), key=len, reverse=True)
        _split_regex_cache[key] = re.compile("|".join(map(re.escape, words)))  # LEAK
    return _split_regex_cache[key]
