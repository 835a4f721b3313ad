# count_lines.py - line counts of the tutorial scripts, ports and raw versions.
# SPDX-License-Identifier: MPL-2.0
#
# Counts the non-blank, non-comment lines of each tutorial script (Python),
# its zpat port (examples/) and the same program against raw libzmq
# (tests/interop/raw/), for the table in the README (Porting from pyzmq).
# Usage: /usr/bin/python3 tests/interop/count_lines.py [TUTORIAL_DIR]
# (default $ZPAT_TUTORIAL_DIR, else /work/shared/tutorial); it finds the C
# files from its own path. A line counts unless it is blank or holds only a
# comment: "#" lines in Python; "//" lines and /* ... */ blocks in C.
# Braces, includes and the like count: they are lines a reader reads.

import os
import re
import sys

NAMES = ["reqrep_server", "reqrep_client", "pubsub_server", "pubsub_client1",
         "pubsub_client2", "pipeline_server", "pipeline_worker",
         "pipeline_client"]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def count_python(path):
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f
                   if line.strip() and not line.strip().startswith("#"))


def count_c(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # Blank out block comments, keeping their line breaks.
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"),
                  text, flags=re.S)
    return sum(1 for line in text.splitlines()
               if line.strip() and not line.strip().startswith("//"))


def main():
    tutorial = (sys.argv[1] if len(sys.argv) > 1 else
                os.environ.get("ZPAT_TUTORIAL_DIR", "/work/shared/tutorial"))
    print("| script | Python | zpat | zpat / Python | raw libzmq "
          "| raw / zpat |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    totals = [0, 0, 0]
    for name in NAMES:
        py = count_python(os.path.join(tutorial, name + ".py"))
        zpat = count_c(os.path.join(ROOT, "examples", name + ".c"))
        raw = count_c(os.path.join(HERE, "raw", name + ".c"))
        totals = [totals[0] + py, totals[1] + zpat, totals[2] + raw]
        print(f"| {name} | {py} | {zpat} | {zpat / py:.1f}x | {raw} "
              f"| {raw / zpat:.1f}x |")
    py, zpat, raw = totals
    print(f"| **total** | {py} | {zpat} | {zpat / py:.1f}x | {raw} "
          f"| {raw / zpat:.1f}x |")


if __name__ == "__main__":
    main()
