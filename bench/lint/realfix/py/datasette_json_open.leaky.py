# source: https://github.com/simonw/datasette/issues/1208 (open() without a context manager; closed as fixed)
# label: leaky  item: file not closed
# Written here after the issue: settings and inspect data loaded with json.load(path.open()).
import json


def load_config_dir(config_dir):
    settings = {}
    if (config_dir / "settings.json").exists():
        settings = json.load((config_dir / "settings.json").open())  # LEAK
    return settings
