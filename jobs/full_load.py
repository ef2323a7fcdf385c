"""spark-submit entry point for a full load.

    spark-submit --py-files sparkdms-code.zip --packages ... jobs/full_load.py TASK [--report F]

spark-submit.sh builds that command line from the task file.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    os.environ.setdefault("SPARKDMS_UNDER_SUBMIT", "1")  # master and packages come from spark-submit
    from sparkdms.cli import main as cli

    return cli(["run", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
