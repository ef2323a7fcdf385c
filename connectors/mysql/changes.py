"""Change data capture from a MySQL / MariaDB binlog in ROW format, read as a replica with
python-mysql-replication (``BinLogStreamReader``, non-blocking).

Positions are ``<binlog file>:<offset>`` (``binlog.BinlogPos``), the end of a transaction.

- ``start()`` checks the server (``log_bin``, ``binlog_format=ROW``, ``binlog_row_image=FULL``)
  and returns the binlog end (``SHOW MASTER STATUS``), on MariaDB under a commit barrier
  (``committed_end``) so that every transaction before it is visible to the snapshot. A
  full-load-and-cdc task takes it *before* the snapshot: every change committed after it is
  read again, including those the snapshot already holds; the appliers upsert full
  after-images and delete by key, so the replay converges on the source's state (the last
  change of a key is its current row).
- ``read(since, until)`` reads from ``since`` up to ``until`` or the binlog end when the call
  began (never waiting for more) the committed transactions of the planned schemas
  (databases), in commit order; batches end at a transaction's end, and every change
  carries its transaction's end position, so a read resumed after it skips the whole
  transaction. Rolled-back transactions never reach the binlog. Rows of a table outside
  the plan (in a planned schema) come as decoded, for the core to refuse a new table that
  matches the selection rules. TRUNCATE TABLE is a change of op ``truncate``. ALTER TABLE
  is not reported as such: row images name their columns (``binlog_row_metadata=FULL``),
  so an added or dropped column shows as a change whose columns differ from the catalog,
  as with PostgreSQL (sparkdms/cdc applies HandleSourceTableAltered). DROP / RENAME of a
  planned table raises ``SchemaChanged`` once the changes before it have been yielded.
- ``confirm()`` only records the position: a binlog is not consumed by reading it, the
  server keeps it for ``binlog_expire_logs_seconds`` / ``expire_logs_days``.
- ``position_at(time)`` (``ChangeStream.position_at``): where to read from for ``CdcStartTime``.

Each read connects as a replica with a random ``server_id`` (two with the same id would
disconnect each other); the user needs REPLICATION SLAVE and REPLICATION CLIENT (MariaDB:
BINLOG MONITOR), and RELOAD for the commit barrier.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sparkdms.connectors.base import Change, ChangeBatch
from sparkdms.connectors.mysql.binlog import BinlogPos, statement_tables
from sparkdms.connectors.mysql.binlog_values import RowConverter

from sparkdms.catalog import Table
from sparkdms.errors import TerminalError
from sparkdms.plan import TablePlan

# server variable -> (what change data capture needs, accepted values)
REQUIRED = {
    "log_bin": ("the binary log on (log_bin)", ("ON", "1")),
    "binlog_format": ("binlog_format=ROW", ("ROW",)),
    "binlog_row_image": ("binlog_row_image=FULL", ("FULL",)),
}
ROW_OPS = {"WriteRowsEvent": "insert", "UpdateRowsEvent": "update", "DeleteRowsEvent": "delete"}
# engine -> (statements that hold commits, the one that releases them): see committed_end
COMMIT_BARRIERS = {
    "mariadb": (("SET SESSION lock_wait_timeout = 10", "BACKUP STAGE START",
                 "BACKUP STAGE BLOCK_COMMIT"), "BACKUP STAGE END"),
}
# server error -> what it means for change data capture
READ_ERRORS = {
    1236: " (the binlog file was purged after binlog_expire_logs_seconds / expire_logs_days, or "
          "never existed: the changes since are lost; run the task as full-load-and-cdc again)",
    1227: " (the user needs REPLICATION SLAVE, and REPLICATION CLIENT / BINLOG MONITOR)",
    1045: " (access denied: check the source's user and password)",
}
# DDL that ends a planned table's changes: the read stops there (see SchemaChanged)
STOPPING = ("drop", "rename")
MARIADB_STANDALONE = 1  # MariaDB GTID event flag: a statement without BEGIN/COMMIT (DDL)


class CdcNotReady(TerminalError):
    """The server does not keep the binlog change data capture reads."""


class SchemaChanged(TerminalError):
    """A planned table dropped or renamed on the source (``verb`` drop / rename), met in the
    binlog: the statement, and ``position``, the end of the DDL's transaction (a read resumed
    after it goes on past the DDL). The changes before it have been yielded."""

    def __init__(self, schema: str, table: str, verb: str, statement: str,
                 position: str) -> None:
        super().__init__(f"table {schema}.{table}: {' '.join(statement.split())[:200]} on the "
                         f"source (binlog {position}): its changes end there; load it again "
                         "(run the task as full-load-and-cdc) or take it out of the selection")
        self.schema, self.table, self.verb = schema, table, verb
        self.statement, self.position = statement, position


@dataclass
class _Tx:
    """The transaction being read: its changes and whether BEGIN ... COMMIT/XID closes it
    (else the next statement does)."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    txid: str = ""
    closes: bool = False


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes | bytearray) else str(value)


class BinlogChangeStream:
    """``ChangeStream`` over one server's binlog for the planned tables of one task."""

    def __init__(self, connector: Any, task: str, plans: Sequence[TablePlan]) -> None:
        self.connector = connector
        self.task = task
        zero_date = connector.endpoint.options.get("zero_date", "null")
        self.tables = {(p.source.schema, p.source.name): RowConverter(p.source, p.peer, zero_date)
                       for p in plans}
        self.planned = frozenset(self.tables)
        self.schemas = sorted({s for s, _ in self.tables})
        self.confirmed: str | None = None
        self._reader: Any = None

    # -- the server -------------------------------------------------------------------------
    def check_server(self) -> None:
        names = ", ".join(f"'{n}'" for n in REQUIRED)
        found = {str(k).lower(): str(v).upper() for k, v in self.connector.query(
            f"SHOW GLOBAL VARIABLES WHERE Variable_name IN ({names})")}
        for name, (need, ok) in REQUIRED.items():
            if found.get(name) not in ok:
                raise CdcNotReady(f"{self.connector.endpoint.role} {self.connector.engine}: change "
                                  f"data capture needs {need}; the server has {name}="
                                  f"{found.get(name, 'unset')} (set it in the server's "
                                  "configuration and restart it)")

    def end_position(self, cur: Any = None) -> BinlogPos:
        """The binlog end now (on ``cur``, else a connection of its own)."""
        for sql in ("SHOW MASTER STATUS", "SHOW BINARY LOG STATUS"):  # MySQL 8.4 renamed it
            try:
                if cur is None:
                    rows = self.connector.query(sql)
                else:
                    cur.execute(sql)
                    rows = cur.fetchall()
            except Exception:
                continue
            if rows:
                return BinlogPos.of(str(rows[0][0]), int(rows[0][1]))
        raise CdcNotReady(f"{self.connector.endpoint.role} {self.connector.engine}: SHOW MASTER "
                          "STATUS returns nothing: the binary log is off (log_bin) or the user "
                          "lacks REPLICATION CLIENT / BINLOG MONITOR")

    def committed_end(self) -> BinlogPos:
        """The binlog end with every transaction before it committed in the storage engine
        too: a transaction is written to the binlog before its engine commit, so a snapshot
        begun right after a plain SHOW MASTER STATUS could miss one that the position has
        passed. MariaDB's BACKUP STAGE BLOCK_COMMIT waits for commits in progress and holds
        new ones for the moment of the SHOW (a fraction of a second). Where it is refused
        (no RELOAD privilege, MySQL, a backup running), the plain end is taken."""
        barrier = COMMIT_BARRIERS.get(self.connector.engine)
        if barrier is None:
            return self.end_position()
        conn = self.connector.connect()
        try:
            with conn.cursor() as cur:
                try:
                    for sql in barrier[0]:
                        cur.execute(sql)
                except Exception:
                    return self.end_position()
                try:
                    return self.end_position(cur)
                finally:
                    cur.execute(barrier[1])
        finally:
            conn.close()

    # -- ChangeStream -----------------------------------------------------------------------
    def start(self) -> str:
        self.check_server()
        return str(self.committed_end())

    def read(self, since: str, until: str | None, max_changes: int) -> Iterator[ChangeBatch]:
        start = BinlogPos.parse(since, "CdcStartPosition")
        end = self.end_position()
        stop = min(end, BinlogPos.parse(until, "CdcStopPosition")) if until else end
        if start > end:
            raise TerminalError(f"{self.connector.engine} binlog position {start} is beyond the "
                                f"server's end {end}: the binary log was reset or the position "
                                "is another server's; run the task as full-load-and-cdc again")
        if start >= stop:
            return
        yield from self._batches(start, stop, max(1, max_changes))

    def position_at(self, when: dt.datetime) -> str:
        """A position to read from for changes committed at or after ``when``
        (``CdcStartTime``): the start of the newest binlog file begun no later than it (its
        format description event's time); the caller skips the changes committed before."""
        when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        files = [str(r[0]) for r in self.connector.query("SHOW BINARY LOGS")]
        for name in reversed(files):
            began = self._file_began(name)
            if began is not None and began <= when:
                return str(BinlogPos.of(name, 4))
        first = files[0] if files else "none"
        raise TerminalError(f"CdcStartTime {when.isoformat()}: the oldest binlog file on the "
                            f"{self.connector.engine} source ({first}) begins after it (older "
                            "ones were purged): start later, or run the task as "
                            "full-load-and-cdc")

    def _file_began(self, name: str) -> dt.datetime | None:
        from pymysqlreplication.event import FormatDescriptionEvent

        reader = self._open(BinlogPos.of(name, 4), only=[FormatDescriptionEvent])
        try:
            for event in reader:
                if event.timestamp:
                    return dt.datetime.fromtimestamp(event.timestamp, dt.UTC)
            return None
        finally:
            reader.close()

    def confirm(self, position: str) -> None:
        """Recorded only: the binlog is not consumed by a reader (the server purges files
        after binlog_expire_logs_seconds / expire_logs_days)."""
        self.confirmed = position

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    # -- reading ----------------------------------------------------------------------------
    def _open(self, start: BinlogPos, only: list[Any] | None = None) -> Any:
        from pymysqlreplication import BinLogStreamReader
        from pymysqlreplication.event import (
            GtidEvent,
            MariadbGtidEvent,
            QueryEvent,
            RotateEvent,
            XidEvent,
        )
        from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

        info = self.connector.conn_info()
        settings = {"host": info.host, "port": info.port or self.connector.default_port,
                    "user": info.user, "charset": "utf8mb4", "connect_timeout": 10,
                    "password": info.password.reveal() if info.password else ""}
        # a replica's server_id must be unique among those connected: a random one per read
        return BinLogStreamReader(
            connection_settings=settings, server_id=secrets.randbelow(2**31 - 2**16) + 2**16,
            resume_stream=True, log_file=start.file, log_pos=start.offset, blocking=False,
            only_events=only or [GtidEvent, MariadbGtidEvent, QueryEvent, RotateEvent, XidEvent,
                                 WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent],
            only_schemas=self.schemas or None, enable_logging=False)

    def _batches(self, start: BinlogPos, stop: BinlogPos, max_changes: int) -> Iterator[ChangeBatch]:
        self.close()
        self._reader = reader = self._open(start)
        batch: list[Change] = []
        done = sent = start  # the last transaction end read, and the last one yielded
        tx = None  # the open transaction
        try:
            for event in self._events(reader, start):
                kind = type(event).__name__
                if kind == "RotateEvent":  # the next file's first offset
                    here = BinlogPos.of(event.next_binlog, event.position)
                else:
                    here = BinlogPos.of(reader.log_file, event.packet.log_pos)
                tx, ended = self._step(event, kind, tx, here)
                if ended is None:
                    continue
                if here > stop:  # a transaction ending beyond ``until``
                    break
                batch += ended
                done = here
                if len(batch) >= max_changes:
                    yield ChangeBatch(tuple(batch), str(done))
                    batch, sent = [], done
                if here >= stop:
                    break
        except SchemaChanged:
            if batch:
                yield ChangeBatch(tuple(batch), str(done))
            raise
        except TerminalError:
            raise
        except Exception as err:
            code = err.args[0] if err.args else None
            hint = READ_ERRORS.get(code, "") if isinstance(code, int) else ""
            raise TerminalError(f"{self.connector.engine} binlog read from {start} failed at "
                                f"{done}: {_text(err).splitlines()[0] if str(err) else repr(err)}"
                                f"{hint}") from err
        finally:
            self.close()
        if batch or done > sent:  # what is left, or only the position moving on
            yield ChangeBatch(tuple(batch), str(done))

    @staticmethod
    def _events(reader: Any, start: BinlogPos) -> Iterator[Any]:
        """The stream's events with a position: the dump's opening fake rotate (offset 0
        or the start) and format description (log_pos 0) are left out."""
        for event in reader:
            if type(event).__name__ == "RotateEvent" and event.timestamp == 0 \
                    and event.next_binlog == start.file and event.position <= start.offset:
                continue
            if type(event).__name__ != "RotateEvent" and not event.packet.log_pos:
                continue
            yield event

    def _step(self, event: Any, kind: str, tx: _Tx | None,
              here: BinlogPos) -> tuple[_Tx | None, list[Change] | None]:
        """The open transaction after ``event`` and, where the event ended one, its changes
        (an empty list for a transaction without a planned table, or a non-transaction
        event such as a rotation, so that the position moves on)."""
        if kind in ("GtidEvent", "MariadbGtidEvent"):
            standalone = kind == "MariadbGtidEvent" and event.flags & MARIADB_STANDALONE
            return _Tx(txid=str(event.gtid), closes=not standalone and kind != "GtidEvent"), None
        if kind in ROW_OPS:
            tx = tx or _Tx(closes=True)
            tx.changes += self._rows(event, ROW_OPS[kind])
            return tx, None
        if kind == "XidEvent":
            return None, self._commit(tx, event, here)
        if kind == "QueryEvent":
            return self._query(event, tx, here)
        return tx, ([] if tx is None else None)  # rotation between transactions

    def _query(self, event: Any, tx: _Tx | None,
               here: BinlogPos) -> tuple[_Tx | None, list[Change] | None]:
        statement = _text(event.query).strip()
        word = statement.split(None, 1)[0].upper() if statement else ""
        if word in ("BEGIN", "XA"):
            tx = tx or _Tx()
            tx.closes = True
            return tx, None
        if word == "COMMIT":
            return None, self._commit(tx, event, here)
        if word == "ROLLBACK":  # non-transactional changes of a rolled-back transaction
            return None, self._commit(tx, event, here)
        tx = tx or _Tx()
        tx.changes += self._statement(statement, _text(event.schema), here)
        if tx.closes:
            return tx, None
        return None, self._commit(tx, event, here)

    def _statement(self, statement: str, default_schema: str,
                   here: BinlogPos) -> list[dict[str, Any]]:
        verb, names = statement_tables(statement, default_schema)
        planned = [(s, t) for s, t in names if (s, t) in self.planned]
        if verb == "truncate":
            return [{"op": "truncate", "schema": s, "table": t, "after": None, "before": None}
                    for s, t in names if s in self.schemas]
        if verb in STOPPING and planned:
            raise SchemaChanged(*planned[0], verb, statement, str(here))
        return []

    def _converter(self, schema: str, table: str) -> RowConverter:
        """The planned table's converter, or one by decoded values for another table of a
        planned schema (the core decides whether it is wanted: a table created since)."""
        key = (schema, table)
        if key not in self.tables:
            self.tables[key] = RowConverter(Table(schema, table, ()))
        return self.tables[key]

    def _rows(self, event: Any, op: str) -> list[dict[str, Any]]:
        convert = self._converter(event.schema, event.table)
        out = []
        for row in event.rows:
            if op == "update":
                before = row["before_values"], row.get("before_none_sources")
                after = row["after_values"], row.get("after_none_sources")
            else:
                image = row["values"], row.get("none_sources")
                before, after = (image, None) if op == "delete" else (None, image)
            out.append({"op": op, "schema": event.schema, "table": event.table,
                        "after": convert(*after) if after else None,
                        "before": convert(*before) if before else None})
        return out

    @staticmethod
    def _commit(tx: _Tx | None, event: Any, here: BinlogPos) -> list[Change]:
        if tx is None:
            return []
        when = dt.datetime.fromtimestamp(event.timestamp, dt.UTC) if event.timestamp else None
        return [Change(c["op"], c["schema"], c["table"], c["after"], c["before"], str(here),
                       when, tx.txid) for c in tx.changes]
