"""sparkdms: database migrations as Apache Spark jobs, in AWS DMS vocabulary."""

from __future__ import annotations

__version__ = "0.1.0"
