# source: https://github.com/CloudWanderer-io/CloudWanderer/pull/192 ("Memory leak fix")
# label: leaky  item: cache (lru_cache on a method)
# Written here after the PR: an AWS resource wrapper caching its discovered regions with
# lru_cache on a method; old wrappers were never collected.
from functools import lru_cache


class Boto3Services:
    def __init__(self, session):
        self.session = session

    @lru_cache(maxsize=256)  # LEAK
    def enabled_regions(self, service_name):
        client = self.session.client("ec2")
        regions = client.describe_regions()["Regions"]
        return [r["RegionName"] for r in regions if service_name]
