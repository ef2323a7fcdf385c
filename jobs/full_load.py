"""spark-submit entry point for a full load.

    spark-submit --py-files sparkdms-code.zip --packages ... .../sparkdms/jobs/full_load.py
        TASK [--report F]

``sparkdms submit TASK`` (and spark-submit.sh, a wrapper over it) builds that command line
from the task file, with this file from the installed ``sparkdms.jobs``.
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
