"""The MariaDB binlog change reader (connectors/mysql/changes.py) against the real server.

Every expected image is the source row read, inside the writing transaction, through the
full load's own column expressions (``MySQLConnector.read_expr``), so a change must carry
exactly what a full load of that row would have read."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sparkdms.connectors.mysql.changes import SchemaChanged

from sparkdms.app import prepare
from sparkdms.errors import TerminalError

from .conftest import my_connect
from .helpers import selection, utc_naive, write_task

TYPES_DDL = """
CREATE TABLE t_types (
  id int PRIMARY KEY, vc varchar(50), tx text, d decimal(38,12), dbig decimal(65,30),
  bu bigint unsigned, si smallint, flag tinyint(1), dt datetime(6), ts timestamp(6) NULL,
  da date, dur time(6), tod time(3), y year, j json, e enum('small','large'),
  s set('red','green','blue'), bt bit(12), bin binary(4), vb varbinary(16), bl blob,
  f double, fl float, ch char(6)
) ENGINE=InnoDB"""
COLUMNS = ("id", "vc", "tx", "d", "dbig", "bu", "si", "flag", "dt", "ts", "da", "dur", "tod",
           "y", "j", "e", "s", "bt", "bin", "vb", "bl", "f", "fl", "ch")
FULL_ROW = (1, "héllo ✓ 日本 🚀", "línea\nzwei\ttab 'q' \"dq\" \\",
            Decimal("12345678901234567890.123456789012"),
            Decimal("-12345678901234567890123456789012345.123456789012345678901234567891"),
            18446744073709551615, -32768, 1, dt.datetime(2024, 2, 29, 23, 59, 59, 999999),
            dt.datetime(2038, 1, 19, 3, 14, 7, 123456), dt.date(1000, 1, 1), "-838:59:59.5",
            "12:34:56.789", 2155, '{"a": [1, 2.5, null], "ü": "✓"}', "large", "blue,red",
            0b101000000001, b"\x01\x00\x00\x00", b"\x00\xff\x00", bytes(range(256)), 1e-300,
            3.25, "ab")
OTHER_DDL = "CREATE TABLE t_other (id int PRIMARY KEY, note varchar(20)) ENGINE=InnoDB"
SKIP_DDL = "CREATE TABLE t_skip (id int PRIMARY KEY) ENGINE=InnoDB"


@pytest.fixture
def stream_env(my_db: dict, pg_db: dict, tmp_path: Path) -> Any:
    db = my_db["database"]
    conn = my_connect(my_db, autocommit=True)
    with conn.cursor() as cur:
        for ddl in (TYPES_DDL, OTHER_DDL, SKIP_DDL):
            cur.execute(ddl)
        # a duration beyond a day before discovery: ``dur`` is planned as an interval
        cur.execute("INSERT INTO t_types (id, dur) VALUES (0, '100:00:00')")
    task = write_task(tmp_path, my_db, pg_db, [selection(db), selection(db, "t_skip", "exclude",
                                                                         "2")])
    prep = prepare(task, with_partitions=False, check_target=False)
    stream = prep.source.change_stream(prep.task.name, prep.plan.tables, prep.task.settings)
    conn.autocommit(False)
    yield prep, stream, conn, db
    stream.close()
    conn.close()


class Recorder:
    """Runs statements in the connection's transaction and notes the change each should
    produce, images read through the full load's expressions."""

    def __init__(self, prep: Any, conn: Any, db: str) -> None:
        self.conn, self.db, self.source = conn, db, prep.source
        self.plans = {p.source.name: p for p in prep.plan.tables}
        self.expected: list[tuple] = []
        self.pending: list[tuple] = []

    def image(self, table: str, key: int) -> dict[str, Any] | None:
        plan = self.plans[table]
        cols = plan.source.columns
        exprs = ", ".join(self.source.read_expr(c, plan.peer) for c in cols)
        with self.conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
            cur.execute(f"SELECT {exprs} FROM `{self.db}`.`{table}` WHERE id = %s", (key,))
            row = cur.fetchone()
        return None if row is None else {c.name: v for c, v in zip(cols, row, strict=True)}

    def run(self, op: str, table: str, keys: list[int], sql: str, params: tuple = ()) -> None:
        before = [self.image(table, k) for k in keys] if op in ("update", "delete") else None
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
        for i, k in enumerate(keys):
            after = self.image(table, k) if op in ("insert", "update") else None
            self.pending.append((op, table, before[i] if before else None, after))
        if op == "truncate":
            self.pending.append(("truncate", table, None, None))

    def insert(self, table: str, values: tuple, columns: tuple[str, ...] = COLUMNS) -> None:
        cols = ", ".join(f"`{c}`" for c in columns)
        marks = ", ".join(["%s"] * len(values))
        self.run("insert", table, [values[0]], f"INSERT INTO `{table}` ({cols}) VALUES ({marks})",
                 values)

    def commit(self) -> None:
        self.conn.commit()
        self.expected.append(tuple(self.pending))
        self.pending = []

    def rollback(self) -> None:
        self.conn.rollback()
        self.pending = []


def canon(value: Any) -> Any:
    """PyMySQL's tinyint(1) is an int where the full load reads a boolean; a timestamp is
    UTC either way (naive from PyMySQL, aware in a change)."""
    return utc_naive(value)


def as_tuple(change: Any, schema: str) -> tuple:
    assert change.schema == schema

    def conv(img: Any) -> Any:
        return None if img is None else \
            {k: (int(v) if isinstance(v, bool) else canon(v)) for k, v in img.items()}

    return change.op, change.table, conv(change.before), conv(change.after)


def workload(rec: Recorder) -> None:
    rec.insert("t_types", FULL_ROW)
    rec.commit()
    rec.insert("t_types", (2,) + (None,) * (len(COLUMNS) - 1))  # NULL everywhere
    rec.commit()
    rec.run("update", "t_types", [1], "UPDATE t_types SET vc = %s, d = %s, ts = %s, "
            "bt = b'0', s = '', j = %s, bin = %s, dur = %s WHERE id = 1",
            ("ω ünïcode", Decimal("-0.000000000001"), dt.datetime(1970, 1, 1, 0, 0, 1),
             "[]", b"\xff\xfe\xfd\xfc", "00:00:00.000001"))
    rec.commit()
    # several tables in one transaction, a multi-row update in key order
    rec.insert("t_other", (10, "ten"), ("id", "note"))
    rec.insert("t_other", (11, "eleven"), ("id", "note"))
    rec.run("update", "t_types", [0, 2], "UPDATE t_types SET tx = 'both' WHERE id IN (0, 2)")
    rec.run("delete", "t_other", [10], "DELETE FROM t_other WHERE id = 10")
    with rec.conn.cursor() as cur:  # an excluded table: never read
        cur.execute("INSERT INTO t_skip VALUES (1)")
    rec.commit()
    rec.insert("t_types", (99, "rolled back") + (None,) * (len(COLUMNS) - 2))
    rec.run("delete", "t_other", [11], "DELETE FROM t_other WHERE id = 11")
    rec.rollback()
    rec.run("delete", "t_types", [2], "DELETE FROM t_types WHERE id = 2")
    rec.commit()
    rec.insert("t_other", (12, "twelve"), ("id", "note"))
    rec.commit()
    rec.run("truncate", "t_other", [], "TRUNCATE TABLE t_other")
    rec.commit()


def end_position(conn: Any) -> str:
    with conn.cursor() as cur:
        cur.execute("SHOW MASTER STATUS")
        file, pos = cur.fetchone()[:2]
    return f"{file}:{pos}"


def test_changes_in_commit_order_with_full_load_values(stream_env: Any) -> None:
    prep, stream, conn, db = stream_env
    start = stream.start()
    rec = Recorder(prep, conn, db)
    workload(rec)
    end = end_position(conn)

    # until the end seen now: other databases of the server may be written meanwhile
    every = list(stream.read(start, end, 1))  # one transaction per batch
    assert every[-1].position == end
    batches = [b for b in every if b.changes]  # an empty one only moves the position on
    planned = set(rec.plans)
    got = [tuple(as_tuple(c, db) for c in b.changes if c.table in planned) for b in batches]
    assert got == [tuple(tx) for tx in rec.expected]
    # the excluded table's row comes as decoded, in its transaction (the core refuses it)
    skipped = [(c.op, c.after, c.position) for b in batches for c in b.changes
               if c.table == "t_skip"]
    assert skipped == [("insert", {"id": 1}, batches[3].position)]
    for b in batches:  # a transaction's changes carry its end, the batch's resume position
        assert {c.position for c in b.changes} == {b.position}
        assert len({c.txid for c in b.changes}) == 1 and b.changes[0].txid
        assert isinstance(b.changes[0].commit_time, dt.datetime)
    assert [c.op for c in batches[-1].changes] == ["truncate"]
    assert not [c for b in batches for c in b.changes if c.after and c.after["id"] == 99]
    first = batches[0].changes[0].after
    assert first["d"] == FULL_ROW[3] and Decimal(first["dbig"]) == FULL_ROW[4]  # full precision
    assert first["bu"] == Decimal(2**64 - 1) and first["flag"] is True and first["bl"] == bytes(range(256))
    assert first["ts"].tzinfo == dt.UTC and first["dur"] == "-838:59:59.5"

    # one read in large batches: the same changes, whole transactions per batch
    big = list(stream.read(start, end, 4))
    assert [c for b in big for c in b.changes] == [c for b in batches for c in b.changes]
    assert all(b.changes[-1].position == b.position for b in big if b.changes)
    assert big[-1].position == end


def test_resume_and_until(stream_env: Any) -> None:
    prep, stream, conn, db = stream_env
    start = stream.start()
    workload(Recorder(prep, conn, db))
    batches = list(stream.read(start, None, 1))
    flat = [c for b in batches for c in b.changes]
    for k, b in enumerate(batches):  # resumed after a batch: only what follows, once
        after = [c for later in batches[k + 1:] for c in later.changes]
        assert [c for r in stream.read(b.position, None, 1) for c in r.changes] == after
        # bounded by a batch's position: exactly the transactions up to it
        upto = list(stream.read(start, b.position, 100))
        assert [c for r in upto for c in r.changes] == flat[:len(flat) - len(after)]
        assert upto[-1].position == b.position
    assert list(stream.read(batches[-1].position, None, 10)) == []
    stream.confirm(batches[-1].position)
    assert stream.confirmed == batches[-1].position


def test_later_commits_wait_for_the_next_read(stream_env: Any) -> None:
    prep, stream, conn, db = stream_env
    start = stream.start()
    rec = Recorder(prep, conn, db)
    rec.insert("t_other", (1, "one"), ("id", "note"))
    rec.commit()
    reader = stream.read(start, None, 1)
    first = next(reader)  # the end was fixed when the read began
    rec.insert("t_other", (2, "two"), ("id", "note"))
    rec.commit()
    assert [c.after["id"] for c in first.changes] == [1] and list(reader) == []
    again = list(stream.read(first.position, None, 10))
    assert [c.after["id"] for b in again for c in b.changes] == [2]


def test_added_column_shows_in_rows_and_drop_stops_the_read(stream_env: Any) -> None:
    prep, stream, conn, db = stream_env
    start = stream.start()
    rec = Recorder(prep, conn, db)
    rec.insert("t_other", (1, "one"), ("id", "note"))
    rec.commit()
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE t_other ADD COLUMN extra int")
        cur.execute("INSERT INTO t_other VALUES (2, 'two', 7)")
        conn.commit()
        cur.execute("DROP TABLE t_other")
        cur.execute("INSERT INTO t_types (id, vc) VALUES (5, 'after the drop')")
        conn.commit()
    got = []
    with pytest.raises(SchemaChanged) as info:
        for b in stream.read(start, None, 100):
            got.append(b)
    assert (info.value.schema, info.value.table, info.value.verb) == (db, "t_other", "drop")
    assert "DROP TABLE" in info.value.statement and "t_other" in str(info.value)
    # what came before the DROP: the added column is in the row image (the core's drift)
    assert [c.after for b in got for c in b.changes] == [
        {"id": 1, "note": "one"}, {"id": 2, "note": "two", "extra": 7}]
    # resumed past the DDL: the rest
    rest = [c.after for b in stream.read(info.value.position, None, 100) for c in b.changes]
    assert [(r["id"], r["vc"]) for r in rest] == [(5, "after the drop")]


def test_cdc_checks_pass_on_the_test_server(stream_env: Any) -> None:
    prep = stream_env[0]
    assert prep.source.assessment().cdc_checks() == []
    assert prep.source.change_stream(prep.task.name, [], prep.task.settings).start()


MORE_DDL = """
CREATE TABLE t_more (
  id int PRIMARY KEY, u uuid, i4 inet4, i6 inet6, g point, zd date, zdt datetime, zts timestamp NULL
) ENGINE=InnoDB"""


def test_mariadb_types_and_zero_dates(stream_env: Any) -> None:
    prep, stream, conn, db = stream_env
    with conn.cursor() as cur:
        cur.execute(MORE_DDL)
    conn.commit()
    prep = prepare(prep.task.base_dir / f"{prep.task.name}.yaml", with_partitions=False,
                   check_target=False)  # discovered again, with t_more
    plans = [p for p in prep.plan.tables if p.source.name == "t_more"]
    assert plans, "t_more is discovered"
    stream = prep.source.change_stream(prep.task.name, plans, prep.task.settings)
    start = stream.start()
    rec = Recorder(prep, conn, db)
    with conn.cursor() as cur:  # zero dates need a permissive sql_mode
        cur.execute("SET SESSION sql_mode = ''")
    rec.run("insert", "t_more", [1], "INSERT INTO t_more VALUES (1, "
            "'123e4567-e89b-12d3-a456-426614174000', '10.0.0.255', '::ffff:1.2.3.4', "
            "POINT(1.5, -2), '0000-00-00', '2024-00-10 10:00:00', '0000-00-00 00:00:00')")
    rec.run("insert", "t_more", [2], "INSERT INTO t_more VALUES (2, "
            "'ffffffff-0000-4000-8000-00000000ff00', '0.0.0.0', '2001:db8::1', POINT(0, 0), "
            "'2024-01-31', '1000-01-01 00:00:00', '1970-01-01 00:00:01')")
    rec.run("insert", "t_more", [3], "INSERT INTO t_more (id, u, i4, i6) VALUES (3, "
            "'00000000-0000-0000-0000-000000000000', '0.0.0.0', '::')")  # all zero bytes
    rec.commit()
    end = end_position(conn)
    got = [as_tuple(c, db) for b in stream.read(start, end, 100) for c in b.changes]
    assert got == list(rec.expected[0])
    assert got[0][3]["zd"] is None and got[0][3]["u"] == "123e4567-e89b-12d3-a456-426614174000"


def test_reading_across_a_binlog_rotation(stream_env: Any) -> None:
    prep, stream, conn, db = stream_env
    start = stream.start()
    rec = Recorder(prep, conn, db)
    rec.insert("t_other", (1, "before"), ("id", "note"))
    rec.commit()
    with conn.cursor() as cur:
        cur.execute("FLUSH BINARY LOGS")  # the server moves on to a new file
    rec.insert("t_other", (2, "after"), ("id", "note"))
    rec.commit()
    end = end_position(conn)
    batches = [b for b in stream.read(start, end, 1) if b.changes]
    got = [tuple(as_tuple(c, db) for c in b.changes) for b in batches]
    assert got == [tuple(tx) for tx in rec.expected]
    first, second = (b.position.rsplit(":", 1)[0] for b in batches)
    assert first == start.rsplit(":", 1)[0] and second == end.rsplit(":", 1)[0] != first
    resumed = [c for b in stream.read(batches[0].position, end, 10) for c in b.changes]
    assert resumed == list(batches[1].changes)


def test_a_purged_or_unknown_binlog_says_so(stream_env: Any) -> None:
    stream = stream_env[1]
    base = stream.start().rsplit(".", 1)[0]
    with pytest.raises(TerminalError, match=r"binlog .*000000:4.*purged"):
        list(stream.read(f"{base}.000000:4", None, 10))
    with pytest.raises(TerminalError, match=r"999999:4 is beyond the server's end"):
        list(stream.read(f"{base}.999999:4", None, 10))


def test_position_at_a_time_reads_the_changes_since(stream_env: Any) -> None:
    prep, stream, conn, db = stream_env
    with conn.cursor() as cur:
        cur.execute("FLUSH BINARY LOGS")  # a file begun now
        cur.execute("SELECT UTC_TIMESTAMP()")
        now = cur.fetchone()[0].replace(tzinfo=dt.UTC)
    time.sleep(1.1)
    rec = Recorder(prep, conn, db)
    rec.insert("t_other", (1, "after the time"), ("id", "note"))
    rec.commit()
    start = stream.position_at(now + dt.timedelta(seconds=1))
    assert start.endswith(":4") and start.rsplit(":", 1)[0] == end_position(conn).rsplit(":")[0]
    got = [c for b in stream.read(start, end_position(conn), 10) for c in b.changes
           if c.schema == db]
    assert [as_tuple(c, db) for c in got] == list(rec.expected[0])
    with pytest.raises(TerminalError, match=r"CdcStartTime 1999.*purged"):
        stream.position_at(dt.datetime(1999, 1, 1, tzinfo=dt.UTC))
