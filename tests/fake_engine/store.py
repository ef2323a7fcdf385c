"""How the fake engine keeps tables: a directory per table under the endpoint's path.

    <path>/<schema>/<table>/table.json       columns (name, fake type, nullable), primary key
    <path>/<schema>/<table>/seg-*.parquet    the rows, in segments (the engine's own unit)
    <path>/.staging/<load id>/<schema>/<table>/part-<n>.parquet    a load not yet committed

Segments are Parquet files, so Spark executors (local mode) read them by path.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

META = "table.json"
STAGING = ".staging"


def table_dir(root: Path, schema: str, name: str) -> Path:
    return root / schema / name


def tables(root: Path) -> list[tuple[str, str]]:
    """(schema, table) of every committed table."""
    found = [(meta.parent.parent.name, meta.parent.name) for meta in root.glob(f"*/*/{META}")]
    return sorted(t for t in found if not t[0].startswith("."))


def read_meta(folder: Path) -> dict[str, Any]:
    return json.loads((folder / META).read_text())


def write_meta(folder: Path, columns: Sequence[tuple[str, str, bool]],
               primary_key: Sequence[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"columns": [{"name": n, "type": t, "nullable": bool(null)} for n, t, null in columns],
           "primary_key": list(primary_key)}
    (folder / META).write_text(json.dumps(doc, indent=1))


def segments(folder: Path) -> list[Path]:
    return sorted(folder.glob("seg-*.parquet"))


def row_count(folder: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(p).num_rows for p in segments(folder))


def remove(path: Path, stop: Path) -> None:
    """Delete ``path`` and the parents it leaves empty, up to (not including) ``stop``."""
    shutil.rmtree(path, ignore_errors=True)
    parent = path.parent
    while parent != stop and stop in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


# -- driver-side access (the harness, tests) ---------------------------------------------------

def arrow_type(native: str) -> Any:
    import pyarrow as pa

    from tests.fake_engine.types import FAKE

    ltype = FAKE.to_logical(native)
    simple = {"int8": pa.int8(), "int16": pa.int16(), "int32": pa.int32(), "int64": pa.int64(),
              "float32": pa.float32(), "float64": pa.float64(), "boolean": pa.bool_(),
              "text": pa.string(), "blob": pa.binary(), "date": pa.date32(),
              "timestamp": pa.timestamp("us"), "timestamptz": pa.timestamp("us", tz="UTC")}
    if ltype.kind == "decimal":
        return pa.decimal128(ltype.precision or 38, ltype.scale or 0)
    return simple[ltype.kind]


def write_table(folder: Path, columns: Sequence[tuple[str, str, bool]],
                primary_key: Sequence[str], rows: Sequence[Sequence[Any]],
                rows_per_segment: int = 5) -> None:
    """A committed table holding ``rows`` (fake types), in segments of a few rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    shutil.rmtree(folder, ignore_errors=True)
    write_meta(folder, columns, primary_key)
    schema = pa.schema([pa.field(n, arrow_type(t), null) for n, t, null in columns])
    for k, start in enumerate(range(0, len(rows), rows_per_segment)):
        chunk = rows[start:start + rows_per_segment]
        table = pa.Table.from_pylist([dict(zip(schema.names, r, strict=True)) for r in chunk],
                                     schema=schema)
        pq.write_table(table, folder / f"seg-{k:05d}.parquet")


def read_rows(folder: Path, names: Sequence[str]) -> list[tuple]:
    import pyarrow.parquet as pq

    out: list[tuple] = []
    for path in segments(folder):
        table = pq.read_table(path, columns=list(names))
        out += [tuple(r[n] for n in names) for r in table.to_pylist()]
    return out
