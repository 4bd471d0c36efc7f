# source: https://github.com/ipython/ipython/pull/11545 ("Fix ResourceWarning: unclosed file")
# label: fixed  item: file not closed
import os


def read_startup_file(profile_dir, name):
    path = os.path.join(profile_dir, "startup", name)
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    return compile(source, path, "exec")
