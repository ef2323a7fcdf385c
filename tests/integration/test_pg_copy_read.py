"""The PostgreSQL COPY read (``Sparkdms.PostgresCopyRead``, connectors/postgres/copyread.py):
it is the read used when asked, it hands Spark the very values the JDBC read hands it
(compared both ways, every PostgreSQL type family), a load through it copies the source
exactly, and a COPY that fails part-way fails its task instead of ending cleanly."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import pytest

from sparkdms.app import prepare
from sparkdms.cli import main as sparkdms
from tests.integration.conftest import pg_connect
from tests.integration.helpers import (
    assert_same_rows,
    fetch,
    normalise,
    run_with_task_retries,
    selection,
    write_task,
)

pytestmark = pytest.mark.usefixtures("every_driver")

EVERY = """
CREATE TABLE public.every (
  id int PRIMARY KEY, i2 smallint, i8 bigint, n38 numeric(38,18), n12 numeric(12,2),
  nfree numeric, r real, d double precision, flag boolean, vc varchar(20), ch char(4), t text,
  b bytea, day date, ts timestamp(6), tstz timestamptz, tm time, iv interval, js json,
  jb jsonb, ai int[], at text[], u uuid, m money
)"""
COLUMNS = ("id, i2, i8, n38, n12, nfree, r, d, flag, vc, ch, t, b, day, ts, tstz, tm, iv, js, "
           "jb, ai, at, u, m")
ROWS = [
    (1, -32768, 9223372036854775807, "12345678901234567890.123456789012345678", "9999999999.99",
     "1.5", "3.4028235e38", "1.7976931348623157e308", True, "Zoë 李雷 🚀", "ab",
     'line1\nline2\r\n\t"q" \'a\' \\ , ;', b"\x00\x01\xff\x00", "0001-01-01",
     "0001-01-01 00:00:00.000001", "2024-02-29 23:59:59.999999+05:30", "23:59:59.999999",
     "1 year 2 mons 3 days 04:05:06.789", '{"k": "é", "n": [1, 2.50]}', '{"a": [1, "é"]}',
     "{1,NULL,3}", '{"a b",NULL,"c,\\"d"}', "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "12.34"),
    (2, *([None] * 23)),
    (3, 0, -9223372036854775808, "-0.000000000000000001", "-0.01", "123456789.123456789",
     "-Infinity", "NaN", False, "", "", "", b"", "1582-10-05", "1582-10-14 12:00:00.5",
     "1582-10-10 00:00:00+00", "00:00:00", "-1 days", "[]", "{}", "{}", "{}",
     "00000000-0000-0000-0000-000000000000", "-0.01"),
    (4, 32767, 0, "0", "0", "0", "1.17549435e-38", "-0", True, "NULL", "\\N", "\\.",
     b"\\x00", "9999-12-31", "9999-12-31 23:59:59.999999", "1970-01-01 00:00:00+00",
     "12:00:00", "00:00:00.000001", "null", "null", "{-1}", '{""}', None, "0"),
]
EXTRA = ("INSERT INTO public.every (id, i8, n12, t, day, ts, tstz, b) SELECT g, g * 1000, "
         "g / 100.0, 'row ' || g || ' ✓', DATE '1582-10-01' + g, "
         "TIMESTAMP '2000-01-01' + g * INTERVAL '1.000001 second', "
         "TIMESTAMPTZ '1999-12-31 23:00:00+00' + g * INTERVAL '1 minute', "
         "decode(lpad(to_hex(g), 8, '0'), 'hex') FROM generate_series(100, 3099) g")


def seed(endpoint: dict) -> None:
    with pg_connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute(EVERY)
        cur.executemany(f"INSERT INTO public.every ({COLUMNS}) VALUES "
                        f"({', '.join(['%s'] * 24)})", ROWS)
        cur.execute(EXTRA)


def settings(copy: bool) -> dict:
    return {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
            "Sparkdms": {"RowsPerPartition": 500, "DirectCopy": False,
                         "PostgresCopyRead": copy}}


def comparable(value: Any) -> Any:
    """NaN as text (NaN != NaN), binary as bytes."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


def spark_rows(frame: Any) -> Counter:
    return Counter(tuple(comparable(v) for v in row) for row in frame.collect())


def physical_plan(frame: Any) -> str:
    return frame._jdf.queryExecution().executedPlan().toString()


def test_copy_read_is_used_and_reads_what_the_jdbc_read_reads(pg_db, pg_dst, spark, tmp_path):
    from sparkdms.connectors.postgres.copyread import PgPartition, with_copy_read

    seed(pg_db)
    prep = prepare(write_task(tmp_path, pg_db, pg_dst, [selection("public")], settings(True)))
    tp, source = prep.plan.tables[0], prep.source
    parts = tp.partitioning.parts
    assert len(parts) > 4 and all(isinstance(p, PgPartition) and p.copy_read for p in parts)
    by_copy = source.read(spark, tp, parts, ()).frame
    by_jdbc = source.read(spark, tp, with_copy_read(tp.partitioning, False).parts, ()).frame
    assert "MapInArrow" in physical_plan(by_copy) and "JDBC" not in physical_plan(by_copy)
    assert "JDBC" in physical_plan(by_jdbc) and "MapInArrow" not in physical_plan(by_jdbc)
    # the same names, types and nullability (the JDBC frame's fields also carry its
    # driver's metadata, e.g. "scale")
    assert [(f.name, f.dataType, f.nullable) for f in by_copy.schema] == \
        [(f.name, f.dataType, f.nullable) for f in by_jdbc.schema]
    assert by_copy.rdd.getNumPartitions() == len(parts)
    # both ways, in Spark (NaN equals NaN there) and as Python values
    assert by_copy.exceptAll(by_jdbc).count() == 0 and by_jdbc.exceptAll(by_copy).count() == 0
    copied, jdbc = spark_rows(by_copy), spark_rows(by_jdbc)
    assert sum(copied.values()) == len(ROWS) + 3000
    assert_same_rows(copied, jdbc)
    # and the values are the source's: a few typed columns against psycopg's own reading
    cols = [f.name for f in by_copy.schema.fields]
    pick = ["id", "i8", "n38", "n12", "r", "flag", "vc", "ch", "t", "b", "day", "ts", "tstz"]
    with pg_connect(pg_db) as conn:
        # real as float8: the float4 value exactly, as Spark's float reaches Python
        listed = ", ".join("r::float8" if c == "r" else c for c in pick)
        source_rows = fetch(conn, f"SELECT {listed} FROM public.every")
    ours = [tuple(row[cols.index(c)] for c in pick) for row in by_copy.collect()]
    assert_same_rows(normalise([tuple(comparable(v) for v in r) for r in source_rows]),
                     normalise([tuple(comparable(v) for v in r) for r in ours]))


def test_copy_read_of_one_column_keeps_null_rows_and_empty_partitions(pg_db, pg_dst, spark,
                                                                     tmp_path):
    """A row of one NULL column is an empty CSV line; a partition of no row sends nothing."""
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.lone (v text)")
        conn.execute("INSERT INTO public.lone VALUES (NULL), (''), ('x'), (NULL), ('\n')")
    prep = prepare(write_task(tmp_path, pg_db, pg_dst, [selection("public")], settings(True)))
    tp, source = prep.plan.tables[0], prep.source
    with pg_connect(pg_db) as conn:
        expected = Counter(fetch(conn, "SELECT v FROM public.lone"))
    for marker in (False, True):
        frame = source.read(spark, tp, tp.partitioning.parts, (), end_marker=marker).frame
        rows = [tuple(r)[:1] for r in frame.collect() if not (marker and r[-1])]
        assert_same_rows(expected, Counter(rows))
    from sparkdms.connectors.postgres.copyread import PgPartition

    parts = (PgPartition("v IS NULL", 0, True), PgPartition("FALSE", 0, True))
    assert [len(p) for p in source.read(spark, tp, parts, ()).frame.rdd.glom().collect()] \
        == [2, 0]


def test_a_load_through_copy_read_copies_every_type_exactly(pg_db, pg_dst, spark, tmp_path):
    seed(pg_db)
    task = write_task(tmp_path, pg_db, pg_dst, [selection("public")], settings(True))
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    table = json.loads((tmp_path / "r.json").read_text())["tables"][0]
    assert table["FullLoadRows"] == len(ROWS) + 3000 and table["Partitions"] > 4
    # compared as PostgreSQL's own text of every column, both ways
    text = f"SELECT {', '.join(f'{c}::text' for c in COLUMNS.split(', '))} FROM public.every"
    with pg_connect(pg_db) as a, pg_connect(pg_dst) as b:
        assert_same_rows(Counter(fetch(a, text)), Counter(fetch(b, text)))
        assert fetch(b, "SELECT b FROM public.every WHERE id = 1") == [(b"\x00\x01\xff\x00",)]


FAULT_ROWS = 20_000
FAULT_SQL = [
    "CREATE TABLE public.base (id int PRIMARY KEY, v text, amount numeric(18,6))",
    f"INSERT INTO public.base SELECT i, 'row ' || i || ' é', i * 1.000001 "
    f"FROM generate_series(1, {FAULT_ROWS}) i",
    "CREATE SEQUENCE public.fault_once",
    # raises at row k, once, and only inside a COPY read's session
    """CREATE FUNCTION public.fault_at(i int, k int) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF i = k AND current_setting('application_name') = 'sparkdms COPY read'
     AND nextval('public.fault_once') = 1 THEN
    RAISE EXCEPTION 'injected fault at row %', i;
  END IF;
  RETURN true;
END $$""",
    "CREATE VIEW public.src AS SELECT * FROM public.base WHERE public.fault_at(id, 19990)",
]


def test_a_copy_failing_part_way_raises_after_its_first_batches(pg_db, tmp_path):
    """Executor side: the task's stream raises the server's error; it never ends cleanly."""
    from pyspark.sql import types as T
    from sparkdms.connectors.postgres.copyread import CopyRead

    with pg_connect(pg_db) as conn:
        for sql in FAULT_SQL:
            conn.execute(sql)
    source = prepare(write_task(tmp_path, pg_db, pg_db, [selection("public", "base")]),
                     check_target=False).source
    work = CopyRead(type(source), source.endpoint, ("SELECT id, v FROM public.src",),
                    ("id", "v"), (T.IntegerType(), T.StringType()), block_bytes=1 << 16)
    seen = 0
    with pytest.raises(Exception, match="injected fault at row 19990"):
        for batch in work.partition(work.queries[0]):
            seen += batch.num_rows
    assert 0 < seen < FAULT_ROWS  # it failed part-way, after rows had gone ahead


def test_a_copy_read_failing_mid_partition_is_retried_whole(pg_db, pg_dst, tmp_path):
    with pg_connect(pg_db) as conn:
        for sql in FAULT_SQL:
            conn.execute(sql)
    own = {"RowsPerPartition": FAULT_ROWS, "DirectCopy": False, "PostgresCopyRead": True}
    rule = selection("public", "src")
    rule["object-locator"]["table-type"] = "view"
    task = write_task(tmp_path, pg_db, pg_dst, [rule],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": own})
    report = tmp_path / "r.json"
    done = run_with_task_retries(task, report)
    with pg_connect(pg_db) as conn:  # the fault fired once, in the COPY read, then passed
        assert fetch(conn, "SELECT last_value FROM public.fault_once") == [(2,)]
        source = fetch(conn, "SELECT id, v, amount::text FROM public.base")
    with pg_connect(pg_dst) as conn:
        got = fetch(conn, "SELECT id, v, amount::text FROM public.src")
    stats = json.loads(report.read_text())["tables"][0]
    assert len(got) == len({r[0] for r in got}) == FAULT_ROWS, (stats, done.stdout[-3000:])
    assert_same_rows(Counter(source), Counter(got))
    assert stats["FullLoadRows"] == FAULT_ROWS and stats["TableState"] == "Table completed"
