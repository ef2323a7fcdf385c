"""spark-submit entry point for validation only (``sparkdms validate``).

    spark-submit --py-files sparkdms-code.zip --packages ... .../sparkdms/jobs/validate.py
        TASK [--report F] [--out DOCS]

``sparkdms submit TASK --job validate`` (or ``SPARKDMS_JOB=validate ./spark-submit.sh``)
builds that command line.

Counts and checksums run inside the databases where they can; Spark is used for the
engines and columns that need it.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    os.environ.setdefault("SPARKDMS_UNDER_SUBMIT", "1")  # master and packages come from spark-submit
    from sparkdms.cli import main as cli

    return cli(["validate", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
