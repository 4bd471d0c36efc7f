# source: https://github.com/simonw/datasette/issues/1208 (open() without a context manager; closed as fixed)
# label: fixed  item: file not closed
import json


def load_config_dir(config_dir):
    settings = {}
    if (config_dir / "settings.json").exists():
        settings = json.loads((config_dir / "settings.json").read_text())
    return settings
