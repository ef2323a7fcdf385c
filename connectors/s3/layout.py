"""Where an S3 target's objects go, as AWS DMS lays them out:

    <BucketFolder>/<schema>/<table>/[<date folder>/]LOAD00000001.csv[.gz] | .parquet

Spark writes a table's files under a staging prefix first
(``<BucketFolder>/_sparkdms_staging/<schema>/<table>/<load id>/``, its ``_`` hides it from
Spark, Athena and Glue readers); the commit copies them to their final names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from sparkdms.connectors.s3.settings import DELIMITERS, SEQUENCES, S3Options

STAGING = "_sparkdms_staging"
LOAD_NAME = re.compile(r"(?:^|/)LOAD(\d{8})\.[^/]*$")


def join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def table_prefix(opts: S3Options, schema: str, table: str) -> str:
    """The table's folder, with a trailing slash (so ``t/`` never matches ``t2/``)."""
    return join(opts.folder, schema, table) + "/"


def staging_root(opts: S3Options, schema: str, table: str) -> str:
    """Every staged load of the table (leftovers of killed runs are removed from here)."""
    return join(opts.folder, STAGING, schema, table) + "/"


def staging_prefix(opts: S3Options, schema: str, table: str, load_id: str) -> str:
    return join(staging_root(opts, schema, table), load_id) + "/"


def date_folder(opts: S3Options, when: dt.datetime) -> str:
    """``2026/12/02`` for YYYYMMDD with SLASH; '' when date partitioning is off."""
    if not opts.date_partition_enabled:
        return ""
    sep = DELIMITERS[opts.date_partition_delimiter]
    return sep.join(when.strftime(f) for f in SEQUENCES[opts.date_partition_sequence])


def extension(opts: S3Options) -> str:
    if opts.data_format == "csv":
        return ".csv.gz" if opts.compression_type == "gzip" else ".csv"
    return ".parquet"


def load_name(number: int, opts: S3Options) -> str:
    return f"LOAD{number:08d}{extension(opts)}"


def next_load_number(keys: Iterable[str]) -> int:
    """1 + the highest LOAD number among existing keys (appending loads continue it)."""
    numbers = [int(m.group(1)) for k in keys if (m := LOAD_NAME.search(k))]
    return max(numbers, default=0) + 1


def is_data_file(key: str) -> bool:
    """Spark's part files, not its markers (``_SUCCESS``, ``.crc``, ``_committed``)."""
    name = key.rsplit("/", 1)[-1]
    return bool(name) and not name.startswith(("_", "."))
