"""LOB limits at load time (lob-settings ``limited`` / TargetMetadata.LimitedSizeLobMode):
never a silent cut. Spark expressions only.

The limit is in bytes (bulk-max-size KB x 1024): UTF-8 bytes for text, bytes for binary.
A text value is cut at the last whole character that fits. Per
``ErrorBehavior.DataTruncationErrorPolicy``:

  LOG_ERROR      rows load with the value cut; counted per column, logged with row keys
  IGNORE_RECORD  rows with a value over the limit are not loaded; counted and logged
  SUSPEND_TABLE  the table stops before a row is written, naming the keys
  STOP_TASK      as SUSPEND_TABLE, and the task starts no further table

Counts (and the first keys) are taken while the rows are written (``DataFrame.observe``),
so LOG_ERROR and IGNORE_RECORD read the source once; they land in ``FullLoadErrorRows``
and the table's statistics (``LobTruncatedValues``, ``LobTruncatedRows`` or
``LobSkippedRows``, ``LobTruncatedKeys``). SUSPEND_TABLE and STOP_TASK first look for such
a value (one scan of the LOB columns) so that nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TextIO

from sparkdms.errors import TableLoadError
from sparkdms.plan import TablePlan
from sparkdms.plan.typemap.fidelity import is_lob
from sparkdms.plan.typemap.resolve import spark_literal
from sparkdms.types import spark_quote

MAX_KEYS = 100
POLICY = "ErrorBehavior.DataTruncationErrorPolicy"


class TruncationError(TableLoadError):
    """A LOB value over the table's limit where the policy stops the table (or the task)."""

    def __init__(self, table: str, problem: str, stop_task: bool) -> None:
        super().__init__(table, "LOB limit", problem)
        self.stop_task = stop_task


def _cont(b: str, pos: str) -> str:
    """Is the byte at ``pos`` of binary ``b`` a UTF-8 continuation byte (0x80-0xBF)?"""
    return f"(hex(substring({b}, {pos}, 1)) BETWEEN '80' AND 'BF')"


def cut_sql(col: str, n: int, binary: bool) -> str:
    """The value cut to ``n`` bytes; text at the last character boundary at or before it."""
    c = spark_quote(col)
    if binary:
        return f"CASE WHEN octet_length({c}) > {n} THEN substring({c}, 1, {n}) ELSE {c} END"
    b = f"encode({c}, 'UTF-8')"
    cut = " ".join(f"WHEN NOT {_cont(b, str(n + 1 - k))} THEN {n - k}" for k in range(3))
    return (f"CASE WHEN octet_length({c}) > {n} THEN decode(substring({b}, 1, "
            f"CASE {cut} ELSE {n - 3} END), 'UTF-8') ELSE {c} END")


def key_sql(tp: TablePlan, available: set[str]) -> str:
    """Text naming a row: its primary key, else up to three non-LOB columns."""
    pk = [c for c in tp.source.primary_key if c in available]
    if not pk or len(pk) != len(tp.source.primary_key):
        pk = [c.name for c in tp.source.columns
              if c.name in available and not is_lob(c.ltype)][:3]
    if not pk:
        return "'(no key)'"
    parts = [f"concat({spark_literal(k + '=')}, coalesce(CAST({spark_quote(k)} AS STRING), "
             "'NULL'))" for k in pk]
    return f"concat_ws(', ', {', '.join(parts)})"


def apply(df: Any, tp: TablePlan, settings: Any) -> tuple[Any, Callable[[Any, TextIO], int] | None]:
    """The source DataFrame with the table's LOB limit applied, and a function to call
    after a successful write: it logs, fills the statistics and returns the error rows."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F
    from pyspark.sql.types import BinaryType

    limit = tp.lob_limit
    fields = {f.name: f.dataType for f in df.schema.fields}
    cols = [c for c in (limit.columns if limit else ()) if c in fields]
    if limit is None or not cols:
        return df, None
    n, policy = limit.max_bytes, settings[POLICY]
    over = {c: f"(octet_length({spark_quote(c)}) > {n})" for c in cols}
    any_over = " OR ".join(over.values())
    key = key_sql(tp, set(fields))
    if policy in ("SUSPEND_TABLE", "STOP_TASK"):
        rows = df.where(any_over).select(F.expr(key).alias("k"), *[
            F.expr(over[c]).alias(c) for c in cols]).limit(MAX_KEYS).collect()
        if rows:
            counts = {c: sum(1 for r in rows if r[c]) for c in cols}
            raise TruncationError(tp.source_label, _stop_message(tp, rows, counts, policy),
                                  policy == "STOP_TASK")
        return df, None
    obs = Observation(f"sdms_lob_{uuid.uuid4().hex[:8]}")
    metrics = [F.expr(f"count_if({over[c]})").alias(c) for c in cols]
    metrics += [F.expr(f"count_if({any_over})").alias("__rows"),
                F.expr(f"slice(collect_list(CASE WHEN {any_over} THEN {key} END), 1, "
                       f"{MAX_KEYS})").alias("__keys")]
    df = df.observe(obs, *metrics)
    if policy == "IGNORE_RECORD":
        df = df.where(f"NOT ({any_over}) OR ({any_over}) IS NULL")
    else:
        df = df.withColumns({c: F.expr(cut_sql(c, n, isinstance(fields[c], BinaryType)))
                             for c in cols})

    def finish(stats: Any, out: TextIO) -> int:
        m = obs.get
        rows = int(m.get("__rows") or 0)
        if not rows:
            return 0
        counts = {c: int(m.get(c) or 0) for c in cols if m.get(c)}
        keys = list(m.get("__keys") or [])
        stats.extra.update({"LobTruncatedValues": counts, "LobTruncatedKeys": keys,
                            "LobLimitBytes": n, "DataTruncationErrorPolicy": policy,
                            ("LobSkippedRows" if policy == "IGNORE_RECORD"
                             else "LobTruncatedRows"): rows})
        done = "not loaded" if policy == "IGNORE_RECORD" else "loaded with the value cut"
        print(f"  LOB     {tp.source_label}: {rows:,} row(s) with a value over {n:,} bytes "
              f"({limit.origin}) {done} ({POLICY} {policy}): "
              + ", ".join(f"{c} {k:,}" for c, k in counts.items())
              + f"; keys: {'; '.join(keys[:20])}" + (" ..." if rows > 20 else ""),
              file=out, flush=True)
        return rows

    return df, finish


def _stop_message(tp: TablePlan, rows: list[Any], counts: dict[str, int], policy: str) -> str:
    lob = tp.lob_limit
    assert lob is not None
    more = "" if len(rows) < MAX_KEYS else f" (first {MAX_KEYS})"
    return (f"value(s) over the LOB limit of {lob.max_bytes:,} bytes ({lob.origin}) in "
            + ", ".join(f"{c} ({k})" for c, k in counts.items() if k)
            + f"; rows{more}: {'; '.join(r['k'] for r in rows[:20])}"
            + ("; ..." if len(rows) > 20 else "")
            + f". {POLICY} is {policy}: nothing was written (LOG_ERROR loads them cut, "
              "IGNORE_RECORD skips them, a larger bulk-max-size or mode unlimited loads them "
              "whole)")
