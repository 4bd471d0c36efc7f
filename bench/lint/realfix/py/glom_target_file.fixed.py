# source: https://github.com/mahmoud/glom/pull/302 ("cli: close --target-file deterministically to avoid ResourceWarning")
# label: fixed  item: file not closed
import json


def get_target(target_file, target_format):
    if target_file:
        with open(target_file) as f:
            text = f.read()
    else:
        text = "{}"
    if target_format == "json":
        return json.loads(text)
    return text
