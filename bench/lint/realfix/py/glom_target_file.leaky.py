# source: https://github.com/mahmoud/glom/pull/302 ("cli: close --target-file deterministically to avoid ResourceWarning")
# label: leaky  item: file not closed
# Written here after the PR's description: the CLI reads its target file with open(...).read().
import json


def get_target(target_file, target_format):
    if target_file:
        text = open(target_file).read()  # LEAK
    else:
        text = "{}"
    if target_format == "json":
        return json.loads(text)
    return text
