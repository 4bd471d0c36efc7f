# source: https://github.com/scrapinghub/dateparser/pull/1140 ("fix leak of memory in cache - add settings.CACHE_SIZE_LIMIT")
# label: fixed  item: cache (unbounded module-level cache)
# The cache is capped: past the limit the oldest entry is dropped.
import re

CACHE_SIZE_LIMIT = 1000
_split_regex_cache = {}


def split_regex(language, settings):
    key = (language, settings.key())
    if key not in _split_regex_cache:
        if len(_split_regex_cache) >= CACHE_SIZE_LIMIT:
            _split_regex_cache.pop(next(iter(_split_regex_cache)))
        words = sorted(settings.words(language), key=len, reverse=True)
        _split_regex_cache[key] = re.compile("|".join(map(re.escape, words)))
    return _split_regex_cache[key]
