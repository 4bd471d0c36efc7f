# source: https://github.com/readthedocs/ethical-ad-server/pull/502 ("Use iterators in daily aggregations")
# label: fixed  item: unbounded query (Django queryset iterated whole)
from collections import Counter

from adserver.models import Offer


def daily_publisher_totals(day):
    totals = Counter()
    offers = Offer.objects.filter(date__date=day).select_related("publisher")
    for offer in offers.iterator(chunk_size=10_000):
        totals[offer.publisher_id] += 1 if offer.viewed else 0
    return totals
