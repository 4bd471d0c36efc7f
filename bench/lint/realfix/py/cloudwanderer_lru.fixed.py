# source: https://github.com/CloudWanderer-io/CloudWanderer/pull/192 ("Memory leak fix")
# label: fixed  item: cache (lru_cache on a method)
# The result is memoised on the instance.
class Boto3Services:
    def __init__(self, session):
        self.session = session
        self._regions = None

    def enabled_regions(self, service_name):
        if self._regions is None:
            client = self.session.client("ec2")
            self._regions = [r["RegionName"] for r in client.describe_regions()["Regions"]]
        return self._regions if service_name else []
