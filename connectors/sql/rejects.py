"""Rows a relational target refuses: found before the write where the plan knows the
target's limit (vectorized, pyarrow.compute), or by retrying a refused batch in halves
down to the row inside a SAVEPOINT (the partition's transaction survives); and the
target's exceptions table, AWS DMS's ``awsdms_apply_exceptions`` in the control schema.

Executor side: ``Guard`` (in the ``WriteSpec``) screens each batch and inserts it; the
rejected rows go into the attempt's result, which the driver reads only for attempts Spark
reports successful (``sparkdms.load.rejects`` decides what they do to the table). Driver
side: ``ExceptionsTable`` records them.

Checks are data: ``RowCheck(position, column, test, arg)`` with ``test`` one of ``TESTS``;
the plan gives NOT NULL, ``char/varchar(n)`` lengths and the whole digits of decimals
carried as text; an engine adds its own by logical kind (``reject_checks``, e.g. MySQL's
``finite`` for floats, PostgreSQL's ``no_nul`` for text).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.sql.spec import ATTEMPT_COLUMN

from sparkdms.load.rejects import DATA, TRUNCATION, Policy, Reject
from sparkdms.task.secrets import redact
from sparkdms.types import LType, is_carried_as_text

if TYPE_CHECKING:
    from sparkdms.connectors.sql.staging import SqlStaging

    from sparkdms.plan import TablePlan
    from sparkdms.task.settings import Settings

EXCEPTIONS_TABLE = "awsdms_apply_exceptions"
# AWS DMS's columns, then ours: the load, the row's key, the column and value refused
COLUMNS = ("TASK_NAME", "TABLE_OWNER", "TABLE_NAME", "ERROR_TIME", "STATEMENT", "ERROR",
           "LOAD_ID", "KEY", "COLUMN_NAME", "VALUE")
COLUMN_TYPES = (LType("varchar", length=128), LType("varchar", length=128),
                LType("varchar", length=128), LType("timestamp", precision=6), LType("text"),
                LType("text"), LType("varchar", length=64), LType("text"),
                LType("varchar", length=255), LType("text"))
SAVEPOINT = "sdms_rows"
ROW_ERROR_CLASSES = ("DataError", "IntegrityError")  # DB-API 2.0 names
ROW_SQLSTATE_CLASSES = ("22", "23")  # data exception, integrity constraint violation


# -- vectorized checks ---------------------------------------------------------------------
def _is_string(a: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_string(a.type) or pa.types.is_large_string(a.type)


def _over_chars(a: Any, n: int) -> Any:
    import pyarrow.compute as pc

    return pc.greater(pc.utf8_length(a), n) if _is_string(a) else None


def _null(a: Any, _: Any) -> Any:
    import pyarrow.compute as pc

    return pc.is_null(a) if a.null_count else None


def _not_finite(a: Any, _: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.invert(pc.is_finite(a)) if pa.types.is_floating(a.type) else None


def _nul(a: Any, _: Any) -> Any:
    import pyarrow.compute as pc

    return pc.match_substring(a, "\x00") if _is_string(a) else None


def _whole_digits(a: Any, n: int) -> Any:
    import pyarrow.compute as pc

    return pc.match_substring_regex(a, rf"^[-+]?0*[1-9]\d{{{n},}}") if _is_string(a) else None


# test -> (mask of bad rows or None when it does not apply, reason, kind)
TESTS: dict[str, tuple[Callable[[Any, Any], Any], str, str]] = {
    "max_chars": (_over_chars, "value longer than the column's {arg} characters", TRUNCATION),
    "not_null": (_null, "NULL into a NOT NULL column", DATA),
    "finite": (_not_finite, "NaN or infinity: the target cannot store it", DATA),
    "no_nul": (_nul, "text holds a NUL character (\\0): the target cannot store it", DATA),
    "whole_digits": (_whole_digits, "more than {arg} digits before the decimal point: out of "
                                    "range for the column", DATA),
}


@dataclass(frozen=True)
class RowCheck:
    position: int  # the column's position in the written batch
    column: str
    test: str
    arg: Any = None

    def mask(self, batch: Any) -> Any:
        import pyarrow.compute as pc

        found = TESTS[self.test][0](batch.column(self.position), self.arg)
        if found is None:
            return None
        found = pc.fill_null(found, False)
        return found if pc.any(found).as_py() else None

    @property
    def reason(self) -> str:
        return TESTS[self.test][1].format(arg=self.arg)

    @property
    def kind(self) -> str:
        return TESTS[self.test][2]


def plan_checks(connector: Any, plan: TablePlan) -> tuple[RowCheck, ...]:
    """The checks the plan and the engine know for each target column."""
    extra: dict[str, tuple[str, ...]] = getattr(connector, "reject_checks", {})
    out: list[RowCheck] = []
    for i, col in enumerate(plan.columns):
        t = col.ltype
        tests: list[tuple[str, Any]] = [] if col.nullable else [("not_null", None)]
        if t.kind in ("char", "varchar") and t.length:
            tests.append(("max_chars", t.length))
        if t.kind == "decimal" and t.precision and is_carried_as_text(t):
            tests.append(("whole_digits", t.precision - (t.scale or 0)))
        tests += [(name, None) for name in extra.get(t.kind, ())]
        out += [RowCheck(i, col.target_name, name, arg) for name, arg in tests]
    return tuple(out)


# -- the executor side ---------------------------------------------------------------------
@dataclass(frozen=True)
class Guard:
    """What a task attempt needs to reject rows instead of failing (picklable)."""

    checks: tuple[RowCheck, ...]
    keys: tuple[int, ...]  # positions of the key columns (the primary key, else the first 3)
    table: str  # the target table, qualified, for the STATEMENT of a reject
    policy: Policy
    secrets: tuple[Any, ...] = ()
    row_error_codes: frozenset[int] = field(default_factory=frozenset)

    def fill(self, connector: Any, cur: Any, spec: Any, batches: Any, sink: list) -> int:
        """Write the batches, rejected rows into ``sink``; stop writing (but read on) once
        the rejects stop the table anyway."""
        rows = 0
        for batch in batches:
            if self.policy.stops(sink):
                continue  # the input is read to its end: the worker's stream stays sound
            good = self.screen(batch, spec, sink)
            rows += self.insert(connector, cur, spec, good, sink)
        return rows

    def screen(self, batch: Any, spec: Any, sink: list) -> Any:
        """The batch without the rows a check refuses; those go to ``sink``."""
        import pyarrow.compute as pc

        found = [(c, m) for c in self.checks if (m := c.mask(batch)) is not None]
        if not found:
            return batch
        bad = found[0][1]
        for _, m in found[1:]:
            bad = pc.or_(bad, m)
        for i in pc.indices_nonzero(bad).to_pylist():
            check = next(c for c, m in found if m[i].as_py())
            value = batch.column(check.position)[i].as_py()
            sink.append(self.reject(batch, i, spec, check.column, value, check.reason,
                                    check.kind))
        return batch.filter(pc.invert(bad))

    def insert(self, connector: Any, cur: Any, spec: Any, batch: Any, sink: list) -> int:
        """Insert inside a savepoint; a batch the target refuses is retried in halves down
        to the row, and a refused row goes to ``sink`` with the target's reason."""
        if batch.num_rows == 0:
            return 0
        cur.execute(f"SAVEPOINT {SAVEPOINT}")
        try:
            written = connector.insert_batch(cur, spec, batch)
        except Exception as err:
            cur.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            if not self.row_error(err):
                raise
            if batch.num_rows == 1:
                sink.append(self.refused(batch, spec, err))
                return 0
            half = batch.num_rows // 2
            return (self.insert(connector, cur, spec, batch.slice(0, half), sink)
                    + self.insert(connector, cur, spec, batch.slice(half), sink))
        connector.note_savepoint_write(cur, spec)  # the rows' subtransaction, for retries
        cur.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
        return written

    def row_error(self, err: BaseException) -> bool:
        """Did the target refuse a row's values (not the connection, not the statement)?"""
        return is_row_error(err, self.row_error_codes)

    def refused(self, batch: Any, spec: Any, err: BaseException) -> Reject:
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        text = redact(text, list(self.secrets))
        names = spec.columns
        column = _error_column(err, text, names)
        value = batch.column(names.index(column))[0].as_py() if column in names else None
        kind = refusal_kind(text)
        return self.reject(batch, 0, spec, column, value, text, kind)

    def reject(self, batch: Any, i: int, spec: Any, column: str | None, value: Any,
               reason: str, kind: str) -> Reject:
        names = [n for n in spec.columns if n != ATTEMPT_COLUMN]
        row = [batch.column(k)[i].as_py() for k in range(len(names))]
        keys = self.keys or tuple(range(min(3, len(names))))
        values = ", ".join(_literal(v) for v in row)
        return {"key": {names[k]: _plain(row[k]) for k in keys}, "column": column,
                "value": _plain(value), "reason": reason, "kind": kind,
                "row": {n: _plain(v) for n, v in zip(names, row, strict=True)},
                "statement": f"INSERT INTO {self.table} ({', '.join(names)}) VALUES ({values})"}


def is_row_error(err: BaseException, codes: frozenset[int] = frozenset()) -> bool:
    """Did the target refuse a row's values (not the connection, not the statement)? By the
    DB-API class, the SQLSTATE class (22, 23) or the engine's own error ``codes``."""
    if any(c.__name__ in ROW_ERROR_CLASSES for c in type(err).__mro__):
        return True
    state = str(getattr(err, "sqlstate", "") or "")
    code = err.args[0] if err.args and isinstance(err.args[0], int) else None
    return state[:2] in ROW_SQLSTATE_CLASSES or code in codes


def refusal_kind(text: str) -> str:
    """Which policy governs a refusal: a value too long is a truncation, else data."""
    return TRUNCATION if re.search(r"too long|truncat", text, re.I) else DATA


def _error_column(err: BaseException, text: str, names: Sequence[str]) -> str | None:
    diag = getattr(err, "diag", None)
    found = getattr(diag, "column_name", None) if diag is not None else None
    if not found:
        m = re.search(r"column [`'\"]([^`'\"]+)[`'\"]", text)
        found = m.group(1) if m else None
    return found if found in names else None


def _plain(value: Any) -> Any:
    """A value as JSON can hold it: text for decimals, dates, times and bytes (hex)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, Decimal | date | time | datetime):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return json.loads(json.dumps(value, default=str))


def _literal(value: Any) -> str:
    plain = _plain(value)
    if plain is None:
        return "NULL"
    if isinstance(plain, bool | int | float):
        return str(plain)
    text = str(plain)
    text = text if len(text) <= 1000 else text[:1000] + "..."
    return "'" + text.replace("'", "''") + "'"


def _storable(value: Any) -> Any:
    """Text any target's text column takes: a NUL character (the very reason PostgreSQL
    refused some rows) written as ``\\x00``."""
    return value.replace("\x00", "\\x00") if isinstance(value, str) else value


def guard_for(connector: SqlStaging, plan: TablePlan, settings: Settings) -> Guard:
    names = [c.target_name for c in plan.columns]
    keys = tuple(names.index(k) for k in plan.primary_key if k in names)
    if len(keys) != len(plan.primary_key):
        keys = ()
    return Guard(plan_checks(connector, plan), keys,
                 connector.qualify(plan.target_schema, plan.target_name),
                 Policy.from_settings(settings), tuple(connector.endpoint.secrets),
                 frozenset(getattr(connector, "row_error_codes", ())))


def results_rejects(results: Sequence[Any]) -> tuple[Reject, ...]:
    """The rejected rows the successful attempts returned (a JSON list per attempt)."""
    out: list[Reject] = []
    for r in results:
        fields = r.keys() if isinstance(r, dict) else getattr(r, "__fields__", ())
        if "rejects" in fields and r["rejects"]:
            out += json.loads(r["rejects"])
    return tuple(out)


# -- the driver side: AWS DMS's exceptions table -----------------------------------------------
class ExceptionsTable:
    """A target's ``RejectStore``: ``awsdms_apply_exceptions`` in its control schema, one row
    per rejected row (kept across runs, as AWS DMS keeps it; LOAD_ID tells runs apart)."""

    made: ClassVar[set[tuple[str, str]]] = set()  # (target, schema) where this process created it
    lock = threading.Lock()  # tables finish in parallel: one CREATE at a time

    def __init__(self, connector: SqlStaging, settings: Settings) -> None:
        self.connector, self.settings = connector, settings

    def ensure(self, schema: str) -> None:
        key = (str(self.connector.endpoint.describe()), schema)
        with self.lock:
            if key not in self.made:
                self.connector.execute_all(self.create_sql(schema))
                self.made.add(key)

    def name(self, plan: TablePlan) -> tuple[str, str]:
        schema = self.connector.control_schema(plan, self.settings)
        return schema, self.connector.qualify(schema, EXCEPTIONS_TABLE)

    def location(self, plan: TablePlan) -> str:
        return f"table {self.name(plan)[1]}"

    def create_sql(self, schema: str) -> list[str]:
        t = self.connector
        cols = ", ".join(f"{t.quote(c)} {t.native_type(ty)}"
                         for c, ty in zip(COLUMNS, COLUMN_TYPES, strict=True))
        return [*t.ensure_schema_sql(schema),
                f"CREATE TABLE IF NOT EXISTS {t.qualify(schema, EXCEPTIONS_TABLE)} ({cols})"]

    def write(self, plan: TablePlan, task: str, load_id: str, rejects: Sequence[Reject]) -> None:
        t = self.connector
        schema, name = self.name(plan)
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [tuple(_storable(v) for v in (
                    task[:128], plan.target_schema[:128], plan.target_name[:128], now,
                    r["statement"], r["reason"], load_id,
                    json.dumps(r["key"], ensure_ascii=False, default=str),
                    (r.get("column") or "")[:255] or None,
                    None if r.get("value") is None else str(r["value"]))) for r in rejects]
        marks = ", ".join([t.P] * len(COLUMNS))
        insert = (f"INSERT INTO {name} ({', '.join(t.quote(c) for c in COLUMNS)}) "
                  f"VALUES ({marks})")
        self.ensure(schema)
        with t.transaction() as cur:
            cur.executemany(insert, rows)
