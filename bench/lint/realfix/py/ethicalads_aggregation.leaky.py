# source: https://github.com/readthedocs/ethical-ad-server/pull/502 ("Use iterators in daily aggregations")
# label: leaky  item: unbounded query (Django queryset iterated whole)
# Written here after the PR: a daily task sums a day's offers; without iterator() the rows are
# cached on the queryset and a busy day runs the worker out of memory.
from collections import Counter

from adserver.models import Offer


def daily_publisher_totals(day):
    totals = Counter()
    for offer in Offer.objects.filter(date__date=day).select_related("publisher"):  # LEAK
        totals[offer.publisher_id] += 1 if offer.viewed else 0
    return totals
