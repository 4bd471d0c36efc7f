# source: https://github.com/ipython/ipython/pull/11545 ("Fix ResourceWarning: unclosed file")
# label: leaky  item: file not closed
# Written here after the PR: reading a script's source with a bare open(); the handle stays
# open until the garbage collector gets to it.
import os


def read_startup_file(profile_dir, name):
    path = os.path.join(profile_dir, "startup", name)
    fh = open(path, encoding="utf-8")  # LEAK
    source = fh.read()
    return compile(source, path, "exec")
