"""Whether a converted view returns what the source's view returns (issue 9 item 8).

When the target already holds every table the converted definition reads (a re-assessment
after a load, or tables present anyway), both sides run on a sample: at most N rows (the
smaller of ``Sparkdms.AssessSampleRows`` and 1000) ordered by every column, the source's
``SELECT * FROM view`` and the converted SELECT on the target. The rows are compared as
multisets after normalising each value to text (numbers without trailing zeros, so
``3`` and ``3.0000`` agree; timestamps in UTC; bytes as hex). Every converted view gets one
item: the same rows (info), different rows with a count and an example (warning: creating
the view as converted would change what it returns), or "not compared" with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sparkdms.assess.model import Item, first_line
from sparkdms.assess.probes import hooks_of
from sparkdms.connectors.base import Source, Target
from sparkdms.plan.typemap import dialect

VIEW_SAMPLE_ROWS = 1000
ACTION = "fix the converted definition (see converted_views) before creating it on the target"


def sample_size(settings: Any) -> int:
    configured = int(settings["Sparkdms.AssessSampleRows"] or 0)
    return min(configured, VIEW_SAMPLE_ROWS) if configured > 0 else VIEW_SAMPLE_ROWS


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _stamp(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ")


def _float(value: float) -> str:
    return _decimal(Decimal(format(value, ".15g")))  # 15 significant digits, like canon


# (type, canonical text): the first that matches; bool before int (bool is an int)
CANON: tuple[tuple[type | tuple[type, ...], Callable[[Any], str]], ...] = (
    (bool, lambda v: "1" if v else "0"),
    (int, str),
    (Decimal, _decimal),
    (float, _float),
    (datetime, _stamp),
    ((date, time), lambda v: v.isoformat()),
    (timedelta, str),
    ((bytes, bytearray, memoryview), lambda v: bytes(v).hex()),
    (str, lambda v: v),
    ((dict, list), lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"))),
)


def canonical(value: Any) -> str | None:
    """A value's text for comparison, alike on every engine for equal values; None: NULL."""
    if value is None:
        return None
    for kind, render in CANON:
        if isinstance(value, kind):
            return render(value)
    return str(value)


def _row(row: tuple) -> tuple[str | None, ...]:
    return tuple(canonical(v) for v in row)


def shown(row: tuple[str | None, ...]) -> str:
    return "(" + ", ".join("NULL" if v is None else v for v in row)[:300] + ")"


def tables_read(sql: str, engine: str) -> list[tuple[str, str]]:
    """(schema, table) of every table a SELECT in ``engine``'s SQL reads (CTEs left out)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read=dialect(engine).sqlglot)
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    found = {(t.db, t.name) for t in tree.find_all(exp.Table)
             if t.name and not (not t.db and t.name in ctes)}
    return sorted(found)


def _absent(target: Target, sql: str) -> list[str]:
    hooks = hooks_of(target)
    return [f"{s}.{t}" if s else t for s, t in tables_read(sql, target.engine)
            if hooks.table_exists(s, t) is False]


def differences(source: list[tuple], target: list[tuple]) -> tuple[int, str]:
    """How many rows of the larger side have no equal row on the other, and an example."""
    src, tgt = Counter(map(_row, source)), Counter(map(_row, target))
    only_src, only_tgt = src - tgt, tgt - src
    count = max(sum(only_src.values()), sum(only_tgt.values()))
    if not count:
        return 0, ""
    parts = []
    if only_src:
        parts.append(f"source {shown(min(only_src, key=str))}")
    if only_tgt:
        parts.append(f"target {shown(min(only_tgt, key=str))}")
    return count, " vs ".join(parts) if len(parts) == 2 else parts[0] + " only"


def compare_view(source: Source, target: Target, schema: str, name: str, sql: str,
                 rows: int) -> Item:
    """One item: does the converted ``sql`` return the source view's rows on a sample."""
    label = f"{schema}.{name}"

    def item(level: str, text: str, action: str = "", example: str = "") -> Item:
        return Item("view", level, "simple" if level == "info" else "medium",
                    f"view {label}: {text}", label, action=action, example=example)

    def not_compared(reason: str, level: str = "info") -> Item:
        return item(level, f"converted definition not compared on a sample: {reason}")

    try:
        absent = _absent(target, sql)
    except Exception as err:
        return not_compared(f"its tables could not be checked on the target: {first_line(err)}")
    if absent:
        return not_compared(f"the target has no table {', '.join(absent)} yet (assess again "
                            "after the load to compare)")
    quote = source.dialect.quote
    select = f"SELECT * FROM {quote(schema)}.{quote(name)}" if schema else \
        f"SELECT * FROM {quote(name)}"
    try:
        src_cols, src = hooks_of(source).sample_query(select, rows + 1)
    except NotImplementedError:
        return not_compared(f"{source.engine} cannot run a query")
    except Exception as err:
        return not_compared(f"the source view could not be read: {first_line(err)}")
    try:
        tgt_cols, tgt = hooks_of(target).sample_query(sql, rows + 1)
    except NotImplementedError:
        return not_compared(f"{target.engine} cannot run a query")
    except Exception as err:
        return not_compared(f"the converted query fails on {target.engine}: {first_line(err)}",
                            "warning")
    return _verdict(item, (src_cols, src), (tgt_cols, tgt), rows)


def _verdict(item: Callable[..., Item], source: tuple[list[str], list[tuple]],
             target: tuple[list[str], list[tuple]], rows: int) -> Item:
    (src_cols, src), (tgt_cols, tgt) = source, target
    if len(src_cols) != len(tgt_cols):
        return item("warning", f"converted definition returns {len(tgt_cols)} column(s), the "
                    f"source view {len(src_cols)}", ACTION)
    whole = len(src) <= rows and len(tgt) <= rows
    src, tgt = src[:rows], tgt[:rows]
    scope = f"all {len(src)} row(s)" if whole else \
        f"the first {len(src)} row(s) of each side ordered by every column"
    count, example = differences(src, tgt)
    if not count:
        return item("info", f"converted definition returns the same rows on a sample of "
                    f"{len(src)} ({scope})")
    order = "" if whole else "; the engines may order text differently"
    return item("warning", f"converted definition returns different rows on a sample "
                f"({count} of {max(len(src), len(tgt))} differ, e.g. {example}; {scope}"
                f"{order})", ACTION, example)
