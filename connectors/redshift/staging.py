"""Staging a table in S3 for COPY: Parquet written by Spark through s3a://, sized by AWS's
COPY guidance, and a manifest naming exactly the files written.

https://docs.aws.amazon.com/redshift/latest/dg/c_best-practices-use-multiple-files.html

"Split your data into files so that the number of files is a multiple of the number of
slices in your cluster ... about equal size, between 1 MB and 1 GB after compression."
The file count is ``slices * k`` with ``k`` the smallest whole number that keeps each file
under ``MaxFileSize`` (default 1 GB), from an estimate of the table's compressed size (the
source's row estimate and the columns' widths); the write is measured, and redone with more
files in the rare case a file came out larger. Spark's rows are spread evenly
(``repartition``), so the files are about equal. The manifest (with each file's
``content_length``, which COPY needs for Parquet) keeps COPY from loading anything else
under the prefix (Spark's ``_SUCCESS`` marker, files of another attempt).

Location: ``s3://BucketName/BucketFolder/<schema>/<table>/<load id>/``, removed after the
table's transaction commits or rolls back.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.aws.session import aws_options, client
from sparkdms.connectors.redshift.settings import RedshiftSettings

from sparkdms.types import LType

if TYPE_CHECKING:
    from sparkdms.plan import TablePlan
    from sparkdms.task import Endpoint

MANIFEST = "manifest"
COMPRESSION = 3  # Parquet with snappy: about a third of the raw width (an estimate only)
WIDTH = {"int8": 1, "int16": 2, "int32": 4, "int64": 8, "float32": 4, "float64": 8,
         "boolean": 1, "date": 4, "timestamp": 8, "timestamptz": 8, "decimal": 16,
         "uint64": 16, "uuid": 36}
TEXT_WIDTH = 64  # bytes assumed for a text or binary value without a declared length


def width(t: LType) -> int:
    if t.kind in WIDTH:
        return WIDTH[t.kind]
    return min(t.length, 1024) if t.length else TEXT_WIDTH


def estimate_bytes(plan: TablePlan) -> int:
    """The table's staged (compressed) size as planned: rows x column widths / COMPRESSION."""
    rows = max(plan.source.row_estimate, 0)
    return rows * sum(width(c.ltype) for c in plan.columns) // COMPRESSION


def file_count(total_bytes: int, slices: int, max_file_bytes: int) -> int:
    """A multiple of ``slices`` with files no larger than ``max_file_bytes``."""
    per_round = slices * max_file_bytes
    return slices * max(1, math.ceil(total_bytes / per_round))


@dataclass(frozen=True)
class Staged:
    prefix: str  # key prefix (no bucket), ends with "/"
    files: tuple[tuple[str, int], ...]  # (key, bytes)
    manifest: str  # s3:// URI of the manifest

    @property
    def total(self) -> int:
        return sum(size for _, size in self.files)


def prefix_of(cfg: RedshiftSettings, plan: TablePlan, load_id: str) -> str:
    parts = [cfg.folder, plan.target_schema or "_", plan.target_name, load_id]
    return "/".join(p.strip("/") for p in parts if p) + "/"


def configure(spark: Any, endpoint: Endpoint, cfg: RedshiftSettings) -> None:
    """s3a for the staging bucket (connectors/s3/hadoop.py), with SSE-KMS when asked."""
    from sparkdms.connectors.s3.hadoop import configure_s3a

    configure_s3a(spark, aws_options(endpoint), cfg.bucket)
    hconf = spark.sparkContext._jsc.hadoopConfiguration()
    base = f"fs.s3a.bucket.{cfg.bucket}.encryption"
    if cfg.encryption == "SSE_KMS":
        hconf.set(f"{base}.algorithm", "SSE-KMS")
        hconf.set(f"{base}.key", cfg.kms_key or "")
    else:
        hconf.unset(f"{base}.algorithm")
        hconf.unset(f"{base}.key")


def list_files(endpoint: Endpoint, cfg: RedshiftSettings, prefix: str) -> list[tuple[str, int]]:
    s3 = client(endpoint, "s3")
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=cfg.bucket, Prefix=prefix):
        out += [(o["Key"], int(o["Size"])) for o in page.get("Contents", ())]
    return sorted(out)


def data_files(files: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Spark's part files (not ``_SUCCESS``, not the manifest)."""
    return [(k, n) for k, n in files if k.rsplit("/", 1)[-1].startswith("part-")]


def write_stage(spark: Any, df: Any, endpoint: Endpoint, cfg: RedshiftSettings,
                plan: TablePlan, load_id: str, slices: int) -> Staged:
    """Write ``df`` as Parquet under the table's prefix, measure it, write the manifest."""
    from sparkdms.connectors.s3.hadoop import s3a_uri

    configure(spark, endpoint, cfg)
    prefix = prefix_of(cfg, plan, load_id)
    count = file_count(estimate_bytes(plan), slices, cfg.max_file_bytes)
    for _ in range(2):
        df.repartition(count).write.mode("overwrite").parquet(s3a_uri(cfg.bucket, prefix))
        files = data_files(list_files(endpoint, cfg, prefix))
        biggest = max((n for _, n in files), default=0)
        if biggest <= cfg.max_file_bytes:
            break
        count = file_count(sum(n for _, n in files), slices, cfg.max_file_bytes) * 2
    manifest = {"entries": [{"url": f"s3://{cfg.bucket}/{k}", "mandatory": True,
                             "meta": {"content_length": n}} for k, n in files]}
    client(endpoint, "s3").put_object(Bucket=cfg.bucket, Key=prefix + MANIFEST,
                                      Body=json.dumps(manifest).encode())
    return Staged(prefix, tuple(files), f"s3://{cfg.bucket}/{prefix}{MANIFEST}")


def remove(endpoint: Endpoint, cfg: RedshiftSettings, prefix: str) -> None:
    """Delete everything under ``prefix`` (the table's staging of one load)."""
    s3 = client(endpoint, "s3")
    keys = [k for k, _ in list_files(endpoint, cfg, prefix)]
    for start in range(0, len(keys), 1000):
        s3.delete_objects(Bucket=cfg.bucket, Delete={
            "Objects": [{"Key": k} for k in keys[start:start + 1000]], "Quiet": True})
