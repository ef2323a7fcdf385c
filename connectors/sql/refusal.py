"""When the target (or its driver) refuses a batch: one error naming the table, the column
and the value, with the first cause.

Runs only after an insert failed, never on the clean path. The batch is searched with a few
vectorized probes (``PROBES``, data: the first that finds a value names it), each for a
value some engine or driver cannot take (NaN and infinity: MySQL/MariaDB and pymysql; dates
outside years 1..9999: Python's datetime; NUL in text: PostgreSQL). Failing those, a column
the database's own message names (``column 'x' at row n``) is named; else the batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sparkdms.errors import SparkDmsError, TableLoadError

# a value a Python datetime holds: 0001-01-01 .. 9999-12-31, in days and seconds from 1970
DAYS = (-719_162, 2_932_896)
SECONDS = (-62_135_596_800, 253_402_300_799)
UNIT = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_NAMED = re.compile(r"column [`'\"]?([^`'\"\s]+)[`'\"]? at row (\d+)")


class RowsRefusedError(TableLoadError):
    """The target refused a batch; names the column and value where they were found."""

    def __init__(self, table: str, problem: str) -> None:
        super().__init__(table, "write", problem)


def _not_finite(a: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.invert(pc.is_finite(a)) if pa.types.is_floating(a.type) else None


def _out_of_datetime(a: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_date32(a.type):
        raw, (lo, hi) = a.cast(pa.int32()), DAYS
    elif pa.types.is_timestamp(a.type):
        raw = a.cast(pa.int64())
        lo, hi = (bound * UNIT[a.type.unit] for bound in SECONDS)
    else:
        return None
    return pc.or_(pc.less(raw, lo), pc.greater(raw, hi))


def _nul(a: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.match_substring(a, "\x00") if pa.types.is_string(a.type) else None


# (probe over one Arrow column -> boolean mask or None when it does not apply, what it found)
PROBES: tuple[tuple[Callable[[Any], Any], str], ...] = (
    (_not_finite, "NaN or infinity, which the target cannot store"),
    (_out_of_datetime, "a date outside years 1..9999"),
    (_nul, "text with a NUL character"),
)


def _shown(a: Any, row: int) -> str:
    import pyarrow as pa

    value = a.slice(row, 1).cast(pa.string())[0].as_py() if not pa.types.is_binary(a.type) \
        else repr(a[row].as_py()[:30])
    value = value if value is not None else "NULL"
    return value if len(value) <= 80 else value[:77] + "..."


def culprit(batch: Any, columns: tuple[str, ...], err: BaseException) -> str | None:
    """Which column and value of ``batch`` the failure is about, in words; None: unknown
    (e.g. a lost connection: the error is then left as it is)."""
    import pyarrow.compute as pc

    for probe, what in PROBES:
        for name, a in zip(columns, batch.columns, strict=False):
            mask = probe(a)
            if mask is None or not pc.any(mask).as_py():
                continue
            row = pc.index(mask, True).as_py()
            return (f"column {name}, value {_shown(a, row)} (row {row + 1} of a batch of "
                    f"{batch.num_rows:,}): {what}")
    named = _NAMED.search(str(err))
    if named and named.group(1) in columns:
        return f"column {named.group(1)} (in a batch of {batch.num_rows:,} rows)"
    return None


def first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".strip()


class Held:
    """The batches, remembering the one being written (None while the next one is read, so
    that a failure of the input itself is never blamed on a value)."""

    def __init__(self, batches: Iterator[Any]) -> None:
        self.batches = batches
        self.current: Any = None

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        self.current = None
        self.current = next(self.batches)
        return self.current


@contextmanager
def named_refusal(held: Held, spec: Any) -> Iterator[None]:
    """Around the inserts of an attempt: an insert that fails over a value (not one of our
    own errors, not a lost connection) fails with the column and value named; ``raise ...
    from`` keeps the original for the log. The batch is searched only then."""
    try:
        yield
    except SparkDmsError:
        raise
    except Exception as err:
        batch, where = held.current, None
        if batch is not None:
            try:
                where = culprit(batch, spec.columns, err)
            except Exception:  # the search must never replace the first error
                where = None
        if where is None:
            raise
        raise RowsRefusedError(spec.table_key, f"the target refused {where}; first cause: "
                                               f"{first_line(err)}") from err
