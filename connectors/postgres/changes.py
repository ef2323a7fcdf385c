"""PostgreSQL change data capture: logical decoding with ``test_decoding`` (built into every
PostgreSQL), read through the SQL interface.

The server needs ``wal_level=logical`` and a free replication slot (``max_replication_slots``);
the user needs the REPLICATION attribute (or superuser). ``start`` creates the task's slot
``sdms_<task>_<hash of database and task>`` (kept until the task is dropped:
``SELECT pg_drop_replication_slot('<slot>')``); ``read`` decodes committed transactions with
``pg_logical_slot_peek_changes`` (nothing is consumed), ``confirm`` moves the slot with
``pg_replication_slot_advance`` only after the target committed. A position is the LSN of a
transaction's commit (end of its commit record), as ``0/16B3748``.

Values: test_decoding prints each column as its type's text output; this session fixes
``TimeZone`` UTC, ``DateStyle`` ISO, ``bytea_output`` hex and ``extra_float_digits`` 3, and
``VALUES`` turns the text into the Python values the full load reads for the column's logical
kind (``decimal`` exact, timestamps with zone in UTC, bytea as bytes). An update carries the
whole new row, except TOASTed values it did not change (``unchanged-toast-datum``), which are
absent from ``after`` (the applier then keeps the target's value: see sparkdms/cdc).
Deletes carry the replica identity (the primary key). DDL is not decoded: a column added or
dropped shows as a change whose columns differ from the plan (sparkdms/cdc handles it).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.base import Change, ChangeBatch

from sparkdms.errors import SparkDmsError

if TYPE_CHECKING:
    from sparkdms.connectors.postgres.connector import PostgresConnector

    from sparkdms.plan import TablePlan
    from sparkdms.task.settings import Settings

PLUGIN = "test_decoding"
OPTIONS = ("'include-xids'", "'1'", "'include-timestamp'", "'1'", "'skip-empty-xacts'", "'1'")
SESSION = ("SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'", "SET bytea_output = 'hex'",
           "SET extra_float_digits = 3", "SET IntervalStyle = 'postgres'")
TOAST = object()  # an unchanged TOASTed value: not in the change


class ChangeSourceError(SparkDmsError):
    """The source cannot give the changes (no logical WAL, no slot, a line not understood)."""


# -- positions ---------------------------------------------------------------------------------

def lsn_int(lsn: str) -> int:
    hi, _, lo = lsn.partition("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def lsn_text(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def slot_name(database: str, task: str) -> str:
    """``sdms_<task>_<hash>``: slots are named cluster-wide, the hash keeps tasks of the same
    name in different databases apart (at most 63 characters of [a-z0-9_])."""
    readable = re.sub(r"[^a-z0-9_]", "_", task.lower())[:40]
    digest = hashlib.sha1(f"{database}\x00{task}".encode()).hexdigest()[:10]
    return f"sdms_{readable}_{digest}"


# -- test_decoding's lines ---------------------------------------------------------------------

_BEGIN = re.compile(r"BEGIN (\d+)$")
_COMMIT = re.compile(r"COMMIT (\d+)(?: \(at (.+)\))?$")
_TABLE = re.compile(r'table ((?:"(?:[^"]|"")*"|[^ ."]+)\.(?:"(?:[^"]|"")*"|[^ :"]+)): '
                    r"(INSERT|UPDATE|DELETE): ")
_TRUNCATE = re.compile(r"table .+: TRUNCATE: [a-z_() -]+$")


def _ident(text: str) -> str:
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def split_qualified(text: str) -> tuple[str, str]:
    """``schema.table`` as test_decoding quotes it (only where needed)."""
    m = re.fullmatch(r'("(?:[^"]|"")*"|[^."]+)\.("(?:[^"]|"")*"|[^."]+)', text)
    if not m:
        raise ChangeSourceError(f"test_decoding: table name {text!r} not understood")
    return _ident(m.group(1)), _ident(m.group(2))


def _value(text: str, i: int) -> tuple[Any, int]:
    """One value at ``text[i:]``: NULL, unchanged TOAST, a quoted literal ('' doubles a
    quote; B'..' bit strings) or a bare token (numbers, booleans); the index after it."""
    for word, value in (("null", None), ("unchanged-toast-datum", TOAST)):
        if text.startswith(word, i) and (i + len(word) == len(text) or text[i + len(word)] == " "):
            return value, i + len(word)
    if text.startswith("B'", i):
        i += 1
    if text.startswith("'", i):
        out, j = [], i + 1
        while True:
            k = text.index("'", j)
            out.append(text[j:k])
            if text.startswith("''", k):
                out.append("'")
                j = k + 2
                continue
            return "".join(out), k + 1
    end = text.find(" ", i)
    end = len(text) if end < 0 else end
    return text[i:end], end


def parse_tuple(text: str) -> dict[str, tuple[str, Any]]:
    """``name[type]:value ...`` -> {name: (type, text value | None | TOAST)}."""
    out: dict[str, tuple[str, Any]] = {}
    i = 0
    while i < len(text):
        if text[i] == '"':
            j = i + 1
            while True:
                j = text.index('"', j)
                if text.startswith('""', j):
                    j += 2
                    continue
                break
            name, i = text[i + 1:j].replace('""', '"'), j + 1
        else:
            j = text.index("[", i)
            name, i = text[i:j], j
        close = text.index("]:", i)
        ctype, i = text[i + 1:close], close + 2
        value, i = _value(text, i)
        out[name] = (ctype, value)
        while i < len(text) and text[i] == " ":
            i += 1
    return out


def parse_change(data: str) -> tuple[str, str, str, dict | None, dict | None]:
    """A row line -> (op, schema, table, before, after), values still text."""
    m = _TABLE.match(data)
    if not m:
        raise ChangeSourceError(f"test_decoding: line not understood: {data[:120]!r}")
    schema, table = split_qualified(m.group(1))
    op, rest = m.group(2).lower(), data[m.end():]
    if rest.startswith("(no-tuple-data)"):
        raise ChangeSourceError(f"table {schema}.{table}: a {op} without its key (the table "
                                "has no primary key or replica identity); CDC needs one")
    if op == "insert":
        return op, schema, table, None, parse_tuple(rest)
    if op == "delete":
        return op, schema, table, parse_tuple(rest), None
    before = None
    if rest.startswith("old-key: "):
        old, _, rest = rest[len("old-key: "):].partition(" new-tuple: ")
        before = parse_tuple(old)
    return op, schema, table, before, parse_tuple(rest)


def parse_truncate(data: str) -> list[tuple[str, str]]:
    """``table a.b, c.d: TRUNCATE: (no-flags)`` -> [(schema, table), ...]."""
    names = data[len("table "):data.rindex(": TRUNCATE:")]
    return [split_qualified(n) for n in re.findall(r'(?:"(?:[^"]|"")*"|[^ ,."]+)\.'
                                                    r'(?:"(?:[^"]|"")*"|[^ ,"]+)', names)]


# -- text -> Python values of the logical kinds -------------------------------------------------

def _timestamptz(text: str) -> datetime:
    return datetime.fromisoformat(_pad_offset(text)).astimezone(UTC)


def _pad_offset(text: str) -> str:
    return text + ":00" if re.search(r"[+-]\d\d$", text) else text


def _bool(text: str) -> bool:
    return text in ("true", "t")


VALUES: dict[str, Callable[[str], Any]] = {
    **{k: int for k in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint24",
                        "uint32", "uint64")},
    "decimal": Decimal, "float32": float, "float64": float, "boolean": _bool,
    "date": date.fromisoformat, "timestamp": datetime.fromisoformat,
    "timestamptz": _timestamptz,
    **{k: lambda t: bytes.fromhex(t[2:]) for k in ("binary", "varbinary", "blob")},
}


def convert(kind: str, text: Any, where: str) -> Any:
    if text is None or text is TOAST:
        return text
    make = VALUES.get(kind)
    if make is None:
        return text
    try:
        return make(text)
    except (ValueError, ArithmeticError) as err:
        raise ChangeSourceError(f"{where}: value {text[:60]!r} cannot be read as {kind} "
                                f"({err})") from None


# -- the stream --------------------------------------------------------------------------------

class PgChangeStream:
    """The ChangeStream of one task on one PostgreSQL database (see the module's notes)."""

    def __init__(self, connector: PostgresConnector, task: str, plans: Sequence[TablePlan],
                 settings: Settings) -> None:
        self.c = connector
        self.slot = slot_name(str(connector.conn_info().database or ""), task)
        self.kinds = {(p.source.schema, p.source.name): {c.name: c.ltype.kind
                                                           for c in p.source.columns}
                      for p in plans}
        self._conn: Any = None

    def _cur(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = self.c.connect()
            self._conn.autocommit = True
            for stmt in SESSION:
                self._conn.execute(stmt)
        return self._conn.cursor()

    def _one(self, sql: str, params: tuple = ()) -> Any:
        cur = self._cur()
        cur.execute(sql, params)
        row = cur.fetchone()
        return row[0] if row else None

    def start(self) -> str:
        confirmed = self._one("SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                              "WHERE slot_name = %s", (self.slot,))
        if confirmed is not None:
            return str(confirmed)
        if self._one("SHOW wal_level") != "logical":
            raise ChangeSourceError("the PostgreSQL source needs wal_level = logical for CDC "
                                    "(postgresql.conf, then restart)")
        try:
            return str(self._one("SELECT lsn::text FROM pg_create_logical_replication_slot("
                                 "%s, %s)", (self.slot, PLUGIN)))
        except Exception as err:
            raise ChangeSourceError(f"cannot create replication slot {self.slot}: "
                                    f"{str(err).strip().splitlines()[0]}") from None

    def position_at(self, when: Any) -> str:
        """``CdcStartTime``: a slot keeps changes from its creation on, never earlier; the
        task's slot, when it already exists, is read from its confirmed position (changes
        committed before ``when`` are skipped by the flow)."""
        confirmed = self._one("SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                              "WHERE slot_name = %s", (self.slot,))
        if confirmed is None:
            raise ChangeSourceError(
                f"CdcStartTime {when.isoformat()}: a PostgreSQL replication slot cannot start "
                f"in the past; the slot {self.slot} does not exist yet (it keeps changes from "
                "its creation on): drop CdcStartTime, give a CdcStartPosition, or run the "
                "task as full-load-and-cdc")
        return str(confirmed)

    def _confirmed(self) -> int:
        lsn = self._one("SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                        "WHERE slot_name = %s", (self.slot,))
        if lsn is None:
            raise ChangeSourceError(f"replication slot {self.slot} is gone: the changes since "
                                    "the checkpoint are lost; run the task as full-load-and-cdc")
        return lsn_int(str(lsn))

    def read(self, since: str, until: str | None, max_changes: int) -> Iterator[ChangeBatch]:
        upto = until or self._committed_now()
        after = lsn_int(since) if since else 0
        if after > self._confirmed():  # applied on the target, not yet confirmed here
            self.confirm(lsn_text(after))
        while True:
            txs = self._peek(upto, max_changes, after)
            if not txs:
                return
            batch: list[Change] = []
            for lsn, changes in txs:
                batch += changes
                after = lsn_int(lsn)
                if len(batch) >= max_changes or lsn == txs[-1][0]:
                    yield ChangeBatch(tuple(batch), lsn_text(after))
                    batch = []

    def _committed_now(self) -> str:
        """The end of what is committed now. With ``synchronous_commit = off`` a commit is
        acknowledged before its WAL is flushed, and decoding reads flushed WAL only: wait
        (a few hundred ms at most, the WAL writer's delay) until it is."""
        upto = str(self._one("SELECT pg_current_wal_insert_lsn()::text"))
        for _ in range(200):
            if self._one("SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", (upto,)):
                break
            time.sleep(0.02)
        return upto

    def _peek(self, upto: str, max_changes: int, after: int) -> list[tuple[str, list[Change]]]:
        """Transactions committed after ``after`` up to ``upto``: whole transactions, about
        ``max_changes`` changes of them or more; [] when there are no more. The slot starts
        after what was confirmed, which is ``after`` unless the caller has not confirmed
        the last batch: then the peek is repeated without a limit."""
        for want in (3 * max_changes, None):  # rows: a transaction adds BEGIN and COMMIT
            cur = self._cur()
            cur.execute(f"SELECT lsn::text, data FROM pg_logical_slot_peek_changes(%s, "
                        f"%s::pg_lsn, %s, {', '.join(OPTIONS)})", (self.slot, upto, want))
            txs = [tx for tx in self._transactions(cur.fetchall()) if lsn_int(tx[0]) > after]
            if txs:
                return txs
        return []

    def _transactions(self, rows: Sequence[tuple[str, str]]) -> Iterator[tuple[str, list]]:
        pending: list[tuple[str, str, dict | None, dict | None, str]] = []
        xid = ""
        for lsn, data in rows:
            if m := _BEGIN.match(data):
                pending, xid = [], m.group(1)
            elif m := _COMMIT.match(data):
                when = _timestamptz(m.group(2)) if m.group(2) else None
                yield lsn, [self._change(p, lsn, when, xid) for p in pending]
            elif not _TABLE.match(data) and _TRUNCATE.match(data):
                pending += [("truncate", s, t, None, None) for s, t in parse_truncate(data)]
            else:
                pending.append(parse_change(data))

    def _change(self, parsed: tuple, lsn: str, when: datetime | None, xid: str) -> Change:
        op, schema, table, before, after = parsed
        kinds = self.kinds.get((schema, table), {})

        def values(row: dict | None) -> dict | None:
            if row is None:
                return None
            return {name: convert(kinds.get(name, "text"), text, f"{schema}.{table}.{name}")
                    for name, (_, text) in row.items()}

        old, new = values(before), values(after)
        for name, value in (new or {}).items():  # unchanged TOASTed values: from the old row
            if value is TOAST:
                if old is None or old.get(name, TOAST) is TOAST:
                    raise ChangeSourceError(
                        f"table {schema}.{table}: an update left the large value of column "
                        f"{name} unchanged and the log does not carry it; run ALTER TABLE "
                        f"{schema}.{table} REPLICA IDENTITY FULL on the source")
                new[name] = old[name]
        return Change(op, schema, table, new, old, lsn, when, xid)

    def confirm(self, position: str) -> None:
        if lsn_int(position) > self._confirmed():
            self._one("SELECT end_lsn::text FROM pg_replication_slot_advance(%s, %s::pg_lsn)",
                      (self.slot, position))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def drop(self) -> None:
        """Remove the task's slot (the task is finished with CDC)."""
        self._one("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                  "WHERE slot_name = %s", (self.slot,))
