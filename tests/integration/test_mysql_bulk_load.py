"""The MySQL/MariaDB target writes through LOAD DATA LOCAL INFILE (connectors/mysql/bulk.py).

Against the real MariaDB: a batch of every type family loads exactly what the INSERT path
stores (both tables compared both ways); a batch the server only warns about under LOCAL
(duplicate key, out of range, too long) is rolled back to its savepoint and redone with
INSERTs, so the error and the rejected rows are those of the INSERT path, nothing lost or
doubled; and a PostgreSQL -> MariaDB run through Spark loads every family through LOAD DATA
(the binlog's statement annotations show it), compared with the source both ways.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
from collections import Counter
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from sparkdms.connectors.mysql import bulk
from sparkdms.connectors.mysql.connector import MariaDBConnector
from sparkdms.connectors.sql.rejects import Guard
from sparkdms.connectors.sql.spec import WriteSpec

from sparkdms.cli import main as sparkdms
from sparkdms.load.rejects import Policy
from sparkdms.task import Endpoint
from sparkdms.task.secrets import Secret
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, selection, write_task

TEXTS = ["tab\there", "new\nline", "cr\rlf\r\n", "back\\slash\\", "\\N", "NULL", "nul\x00byte",
         "Zoë ✓ 李雷", "emoji 🚀😀", "", " trailing ", '"quoted" \'single\'', "\x1a ctrl-z"]
BYTES = [b"\x00\x09\x0a\x5c", b"", b"\xff\xfe\x0d", b"\\N", bytes(range(256))]

DDL = ("CREATE TABLE {t} (id bigint PRIMARY KEY, i1 tinyint, f float, d double, "
       "n decimal(38,18), n2 decimal(12,2), s text, v varchar(40), b blob, vb varbinary(300), "
       "flag tinyint(1), ts datetime(6), day date, tm time(6), bits bit(8), j json)")


def family_batch(rows: int = 400) -> pa.RecordBatch:
    """Every Arrow type family the writer receives, with NULLs and edge values."""
    def pick(values: list, i: int) -> Any:
        return None if i % 11 == 5 else values[i % len(values)]

    ids = range(1, rows + 1)
    return pa.record_batch({
        "id": pa.array(list(ids), pa.int64()),
        "i1": pa.array([pick([-128, 0, 127, 1], i) for i in ids], pa.int8()),
        "f": pa.array([pick([0.1, -3.4e38, 1.17549435e-38, 3.14159], i) for i in ids],
                      pa.float32()),
        "d": pa.array([pick([0.1, 1 / 3, -1.5e300, 2.2250738585072014e-308, 2.0 ** 60, 123456789.125], i)
                       for i in ids], pa.float64()),
        "n": pa.array([pick([Decimal("-12345678901234567890.123456789012345678"), Decimal(0),
                             Decimal("0.000000000000000001"), Decimal("-0.0000001"),
                             Decimal("1E-7")], i) for i in ids], pa.decimal128(38, 18)),
        "n2": pa.array([pick([Decimal("-9999999999.99"), Decimal("0.01"), Decimal("7")], i)
                        for i in ids], pa.decimal128(12, 2)),
        "s": pa.array([pick(TEXTS, i) for i in ids]),
        "v": pa.array([pick([t[:40] for t in TEXTS], i + 3) for i in ids]),
        "b": pa.array([pick(BYTES, i) for i in ids], pa.binary()),
        "vb": pa.array([pick(BYTES, i + 1) for i in ids], pa.binary()),
        "flag": pa.array([pick([True, False], i) for i in ids]),
        "ts": pa.array([pick([dt.datetime(2024, 2, 29, 23, 59, 59, 999999),
                              dt.datetime(1900, 1, 1, 0, 0, 0, 1), dt.datetime(1970, 1, 1),
                              dt.datetime(999, 6, 15, 12, 30)], i) for i in ids],
                       pa.timestamp("us", tz="UTC")),
        "day": pa.array([pick([dt.date(2024, 2, 29), dt.date(1, 1, 1), dt.date(9999, 12, 31)], i)
                         for i in ids]),
        "tm": pa.array([pick([dt.timedelta(hours=838, minutes=59, seconds=59),
                              dt.timedelta(days=-1, seconds=3, microseconds=7),
                              dt.timedelta(microseconds=1), dt.timedelta(0)], i) for i in ids],
                       pa.duration("us")),
        "bits": pa.array([pick([Decimal(0), Decimal(5), Decimal(255)], i) for i in ids],
                         pa.decimal128(20, 0)),
        "j": pa.array([pick(['{"a": [1, "x\\ty"], "k": "🚀"}', "[]", 'null', '"\\\\"'], i)
                       for i in ids]),
    })


def endpoint(my_db: dict, **options: Any) -> Endpoint:
    return Endpoint(role="target", engine="mariadb", host=my_db["host"], port=my_db["port"],
                    database=my_db["database"], user=my_db["user"],
                    password=Secret(my_db["password"]), options=options)


def spec_for(ep: Endpoint, table: str, columns: tuple[str, ...]) -> WriteSpec:
    return WriteSpec(MariaDBConnector, ep, ep.database or "", table, columns, "load", table,
                     100, ep.database or "")


def create(my_db: dict, *tables: str, ddl: str = DDL) -> None:
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        for t in tables:
            cur.execute(ddl.format(t=t))


def write(my_db: dict, table: str, batches: list, bulk_load: bool,
          guard: Guard | None = None) -> tuple[MariaDBConnector, Any, list]:
    """The batches into ``table`` in one transaction, as the partition writer does; the
    connector, the error raised (or None) and the rejected rows."""
    ep = endpoint(my_db, bulk_load=bulk_load)
    connector = MariaDBConnector(ep)
    spec = spec_for(ep, table, tuple(batches[0].schema.names))
    conn, sink, error = connector.connect(), [], None
    try:
        with conn.cursor() as cur:
            if guard is not None:
                guard.fill(connector, cur, spec, iter(batches), sink)
            else:
                for b in batches:
                    connector.insert_batch(cur, spec, b)
        conn.commit()
    except Exception as err:
        conn.rollback()
        error = err
    finally:
        conn.close()
    return connector, error, sink


def table_rows(my_db: dict, table: str) -> Counter:
    with my_connect(my_db) as conn:
        rows = fetch(conn, f"SELECT id, i1, f, d, n, n2, s, v, b, vb, flag, ts, day, tm, "
                           f"bits + 0, j FROM {table}")
    return Counter(rows)


def test_a_batch_of_every_family_loads_what_the_inserts_store(my_db):
    create(my_db, "bulk", "ins")
    batches = [family_batch().slice(0, 150), family_batch().slice(150)]  # sliced: offsets
    loaded, error, _ = write(my_db, "bulk", batches, bulk_load=True)
    inserted, error2, _ = write(my_db, "ins", batches, bulk_load=False)
    assert error is None and error2 is None, (error, error2)
    used = bulk.writer_of(loaded)
    assert (used.batches, used.fallbacks) == (2, [])  # both through LOAD DATA
    assert bulk.writer_of(inserted).batches == 0
    a, b = table_rows(my_db, "bulk"), table_rows(my_db, "ins")
    assert sum(a.values()) == 400
    assert_same_rows(b, a)  # rows minus bulk, bulk minus rows
    # and the values are the batch's (not only equal to each other)
    with my_connect(my_db) as conn:
        got = dict(fetch(conn, "SELECT id, s FROM bulk"))
        got_b = dict(fetch(conn, "SELECT id, b FROM bulk"))
    expected = family_batch().to_pydict()
    assert [got[i] for i in expected["id"]] == expected["s"]
    assert [got_b[i] for i in expected["id"]] == expected["b"]


def test_a_column_without_an_exact_text_form_goes_through_inserts(my_db):
    """A float into a text column: the INSERT's literal (0.1e0) and the text (0.1) could
    store different strings, so the table is written with INSERTs, the same either way."""
    create(my_db, "t1", ddl="CREATE TABLE {t} (id int PRIMARY KEY, x varchar(40))")
    batch = pa.record_batch({"id": pa.array([1, 2]), "x": pa.array([0.1, None])})
    connector, error, _ = write(my_db, "t1", [batch], bulk_load=True)
    assert error is None and bulk.writer_of(connector).batches == 0
    with my_connect(my_db) as conn:
        assert fetch(conn, "SELECT id, x FROM t1 ORDER BY id") == [(1, "0.1"), (2, None)]


SMALL = "CREATE TABLE {t} (id int PRIMARY KEY, i1 tinyint, v varchar(3))"
REFUSED = {  # LOAD DATA LOCAL only warns about these (and cuts or skips the row)
    "duplicate key": {"id": [1, 2, 2], "i1": [1, 2, 3], "v": ["a", "b", "c"]},
    "out of range": {"id": [1, 2, 3], "i1": [1, 1000, 3], "v": ["a", "b", "c"]},
    "too long": {"id": [1, 2, 3], "i1": [1, 2, 3], "v": ["a", "bbbb", "c"]},
}


def small_batch(values: dict) -> pa.RecordBatch:
    return pa.record_batch({"id": pa.array(values["id"], pa.int32()),
                            "i1": pa.array(values["i1"], pa.int32()),
                            "v": pa.array(values["v"])})


GOOD = small_batch({"id": [10, 11], "i1": [1, 2], "v": ["x", "y"]})


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_batch_raises_the_insert_error(my_db, case):
    create(my_db, "a", "b", ddl=SMALL)
    batches = [GOOD, small_batch(REFUSED[case])]
    loaded, error, _ = write(my_db, "a", batches, bulk_load=True)
    _, expected, _ = write(my_db, "b", batches, bulk_load=False)
    assert expected is not None
    assert (type(error), error.args) == (type(expected), expected.args)
    used = bulk.writer_of(loaded)
    assert used.batches == 1 and len(used.fallbacks) == 1, used.fallbacks  # GOOD, then redone
    assert table_count(my_db, "a") == table_count(my_db, "b") == 0  # the attempt rolled back


def table_count(my_db: dict, table: str) -> int:
    with my_connect(my_db) as conn:
        return fetch(conn, f"SELECT COUNT(*) FROM {table}")[0][0]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_row_is_rejected_as_by_the_insert_path(my_db, case):
    """Under the reject guard (DataErrorPolicy LOG_ERROR): the same rejected rows, and the
    other rows all there once."""
    create(my_db, "a", "b", ddl=SMALL)
    guard = Guard((), (0,), "t", Policy())
    batches = [GOOD, small_batch(REFUSED[case]), GOOD.slice(0, 0)]
    loaded, error, rejects = write(my_db, "a", batches, bulk_load=True, guard=guard)
    _, error2, expected = write(my_db, "b", batches, bulk_load=False, guard=guard)
    assert error is None and error2 is None, (error, error2)
    assert len(expected) == 1 and rejects == expected
    with my_connect(my_db) as conn:
        a, b = (Counter(fetch(conn, f"SELECT id, i1, v FROM {t}")) for t in ("a", "b"))
    assert_same_rows(b, a)
    assert sum(a.values()) == 2 + 3 - 1  # GOOD, and the refused batch less its bad row
    assert bulk.writer_of(loaded).batches >= 2  # GOOD and the halves without the bad row


# -- PostgreSQL -> MariaDB through Spark ---------------------------------------------------
SOURCE = """
CREATE TABLE public.fam (
  id int PRIMARY KEY, i2 smallint, i8 bigint, n numeric(38,18), n2 numeric(12,2),
  r real, d double precision, t text, vc varchar(40), b bytea, flag boolean, day date,
  ts timestamp(6), tstz timestamptz, j jsonb
);
INSERT INTO public.fam
SELECT g, (g % 32000)::smallint, g::bigint * 100000000003, (g * 1.000000000000000001)
       / 7, g / 100.0, g / 3.0, g / 7.0, 'row ' || g || E'\\t' || repeat('é', g % 5),
       left(md5(g::text), g % 40), decode(lpad(to_hex(g), 8, '0'), 'hex'), g % 2 = 0,
       date '2000-01-01' + g, timestamp '2020-01-01' + g * interval '1.000001 second',
       timestamptz '2020-01-01 00:00:00+05' + g * interval '1 minute',
       jsonb_build_object('g', g, 's', 'x' || g)
FROM generate_series(1, 3000) g;
INSERT INTO public.fam VALUES
  (-1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (-2, -32768, -9223372036854775808, -12345678901234567890.123456789012345678, -9999999999.99,
   3.4e38, -1.5e300, E'tab\\there new\\nline cr\\r back\\\\slash \\\\N emoji 🚀😀 李雷', '',
   '\\x00090a5c00', true, '0999-06-15', '1900-01-01 00:00:00.000001',
   '2024-02-29 23:59:59.999999+05:30', '{"k": "\\t\\\\", "e": "🚀", "n": null}'),
  (-3, 32767, 9223372036854775807, 0.000000000000000001, 0.01, 1.17549435e-38, 2.2250738585072014e-308,
   '\\N', 'NULL', '\\x', false, '9999-12-31', '2024-02-29 23:59:59.999999',
   '1969-12-31 23:59:59.5+00', '[]');
"""
COLUMNS = "id, i2, i8, n, n2, r, d, t, vc, b, flag, day, ts, tstz, j"


def canonical(row: tuple) -> tuple:
    """One row as both engines can be compared: IEEE single for real, booleans as 0/1,
    bytes, UTC wall clock for timestamptz, JSON parsed."""
    out = list(row)
    out[5] = None if row[5] is None else struct.pack("<f", row[5])
    out[9] = None if row[9] is None else bytes(row[9])
    out[10] = None if row[10] is None else int(row[10])
    tstz = row[13]
    out[13] = tstz.astimezone(dt.UTC).replace(tzinfo=None) if getattr(tstz, "tzinfo", None) \
        else tstz
    j = row[14]
    out[14] = None if j is None else json.dumps(j if not isinstance(j, str) else json.loads(j),
                                                sort_keys=True)
    return tuple(out)


def binlog_statements(my_db: dict, since: tuple[str, int]) -> list[str]:
    """The statements the binlog annotated (MariaDB's Annotate_rows, on by default with
    ROW format) since ``since`` that name the test's database."""
    out: list[str] = []
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("SHOW BINARY LOGS")
        files = [r[0] for r in cur.fetchall() if r[0] >= since[0]]
        for name in files:
            start = since[1] if name == since[0] else 4
            cur.execute("SHOW BINLOG EVENTS IN %s FROM %s", (name, start))
            out += [str(r[5]) for r in cur.fetchall()
                    if r[2] == "Annotate_rows" and my_db["database"] in str(r[5])]
    return out


def binlog_position(my_db: dict) -> tuple[str, int]:
    with my_connect(my_db) as conn:
        file, pos = fetch(conn, "SHOW MASTER STATUS")[0][:2]
    return str(file), int(pos)


@pytest.mark.usefixtures("every_driver")
@pytest.mark.parametrize("direct", [False, True], ids=["spark-rows", "direct-copy"])
def test_postgres_to_mariadb_loads_every_family_through_load_data(pg_db, my_db, tmp_path,
                                                                   direct):
    """Both load paths: Spark rows in CommitRate batches, or one direct text stream."""
    with pg_connect(pg_db) as conn:
        conn.execute(SOURCE)
    since = binlog_position(my_db)
    task = write_task(tmp_path, pg_db, my_db, [selection("public", "fam")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE",
                                            "CommitRate": 500},
                       "Sparkdms": {"DirectCopy": direct}})
    report = tmp_path / "r.json"
    assert sparkdms(["run", str(task), "--report", str(report)]) == 0, report.read_text()
    with pg_connect(pg_db) as conn:
        source = Counter(canonical(r) for r in fetch(conn, f"SELECT {COLUMNS} FROM public.fam"))
    with my_connect(my_db) as conn:
        wide = COLUMNS.replace(" r,", " CAST(r AS DOUBLE),")  # FLOAT prints 6 digits
        target = Counter(canonical(r) for r in fetch(conn, f"SELECT {wide} FROM fam"))
    assert sum(source.values()) == 3003
    assert_same_rows(source, target)  # source minus target, target minus source
    statements = binlog_statements(my_db, since)
    loads = [s for s in statements if s.startswith("LOAD DATA LOCAL INFILE")]
    inserts = [s for s in statements if s.startswith("INSERT INTO") and "`fam__sdms_" in s]
    assert 1 <= len(loads) < 3003 // 500 if direct else len(loads) >= 3003 // 500, len(loads)
    assert not inserts, inserts[:1]


@pytest.mark.usefixtures("every_driver")
def test_rows_mariadb_refuses_are_rejected_as_before(pg_db, my_db, tmp_path):
    """Values only the existing target table refuses (out of range for its tinyint, a
    duplicate in its unique column) are only warnings to LOAD DATA LOCAL: the batch is
    redone with INSERTs and the rows rejected with the INSERT path's reasons, in a run with
    bulk load as in one without; every other row there once."""
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.items (id int PRIMARY KEY, small int, code text, "
                     "note text)")
        conn.execute("INSERT INTO public.items SELECT g, CASE WHEN g IN (7, 1234) THEN 1000 "
                     "ELSE g % 100 END, 'c' || CASE WHEN g = 555 THEN 554 ELSE g END, "
                     "'n' || g || E' \\t🚀' FROM generate_series(1, 2000) g")
    got: dict[bool, tuple] = {}
    seen: set[str] = set()  # the exceptions table keeps every run's rows: LOAD_ID tells them apart
    for flag in (True, False):
        with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS items")
            cur.execute("CREATE TABLE items (id int PRIMARY KEY, small tinyint, "
                        "code varchar(20) UNIQUE, note text)")
        folder = tmp_path / str(flag)
        folder.mkdir()
        since = binlog_position(my_db)
        target = {**my_db, "options": {"bulk_load": flag}}
        task = write_task(folder, pg_db, target, [selection("public", "items")],
                          {"FullLoadSettings": {"TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD",
                                                "CommitRate": 500}})
        assert sparkdms(["run", str(task), "--report", str(folder / "r.json")]) == 0
        file = folder / "r.rejects.jsonl"
        rejects = [json.loads(x) for x in file.read_text().splitlines()] if file.exists() else []
        with my_connect(my_db) as conn:
            rows = Counter(fetch(conn, "SELECT id, small, code, note FROM items"))
            exc = sorted(r[1:] for r in fetch(conn, "SELECT `LOAD_ID`, `KEY`, `COLUMN_NAME`, "
                                                    "`ERROR`, `VALUE` FROM awsdms_apply_exceptions")
                         if r[0] not in seen)
            seen |= {r[0] for r in fetch(conn, "SELECT `LOAD_ID` FROM awsdms_apply_exceptions")}
        loads = [s for s in binlog_statements(my_db, since) if s.startswith("LOAD DATA")]
        assert bool(loads) == flag  # the other batches went through LOAD DATA
        got[flag] = (rows, sorted((r["key"]["id"], r["column"], r["reason"]) for r in rejects),
                     exc)
    with pg_connect(pg_db) as conn:
        source = Counter(fetch(conn, "SELECT id, small, code, note FROM public.items "
                                     "WHERE id NOT IN (7, 1234, 555)"))
    assert_same_rows(source, got[True][0])  # source minus target, target minus source
    assert_same_rows(got[False][0], got[True][0])
    assert [k for k, *_ in got[True][1]] == [7, 555, 1234], got[True][1]
    assert got[True][1] == got[False][1]
    assert got[True][2] == got[False][2] and len(got[True][2]) == 3
