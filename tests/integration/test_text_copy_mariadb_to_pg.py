"""MariaDB -> PostgreSQL direct copy between engines (the neutral text stream,
connectors/wire.py; MariaDB's side in connectors/mysql/textout.py): the tables it writes
equal, value for value, type for type and both ways, what the DataFrame path writes from
the same source; a value PostgreSQL refuses sends the table through Spark rows with the same
result; the source's stream cut mid-partition commits nothing of that attempt, and the retry
loads every row once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.conftest import my_connect, pg_beside, pg_connect
from tests.integration.helpers import (
    assert_same_rows,
    fetch,
    load_direct_or_not,
    normalise,
    run_while_cutting,
    selection,
    write_task,
)

DDL = """CREATE TABLE wired (
  id bigint NOT NULL PRIMARY KEY, ti tinyint, si smallint, mi mediumint, ii int,
  iu int unsigned, bi bigint, bu bigint unsigned, dc decimal(12,2), dbig decimal(65,30),
  flag tinyint(1), vc varchar(40), tx text, d date, dtm datetime, dt6 datetime(6),
  bn binary(4), vb varbinary(16), bl blob)"""
SPECIAL = "a\\b\tc\nd\re\x0cf\x0bg\x08h 'q' \"d\" \\N NULL"
ROWS = [
    (1, -128, -32768, -8388608, -2147483648, 4294967295, -9223372036854775808,
     18446744073709551615, Decimal("-9999999999.99"),
     Decimal("12345678901234567890123456789012345.123456789012345678901234567891"), 1,
     "Zoë ✓ 李雷 🚀", SPECIAL * 3, "1000-01-01", "9999-12-31 23:59:59",
     "2024-02-29 12:34:56.789012", b"\x00\xff\\\t", b"\x00\n\\N", bytes(range(256))),
    (2, 127, 32767, 8388607, 2147483647, 0, 9223372036854775807, 0, Decimal("0.05"),
     Decimal("-0.000000000000000000000000000001"), 0, "", "", "2024-01-01",
     "1970-01-01 00:00:01", "1970-01-01 00:00:00.000001", b"ab", b"", b""),
    (3, 0, 0, 0, 0, 0, 0, 0, Decimal("0.00"), Decimal("0"), 2, "\\", "\\\\N", "2000-02-29",
     "2000-01-01 00:00:00", "2000-01-01 00:00:00", b"\\N\x00\x00", b"\\", b"\\N"),
    (4, *([None] * 18)),
]
INSERT = f"INSERT INTO wired VALUES ({', '.join(['%s'] * 19)})"


def seed(src: dict, extra: int = 0) -> None:
    with my_connect(src) as conn, conn.cursor() as cur:
        cur.execute(DDL)
        cur.executemany(INSERT, ROWS)
        if extra:  # many plain rows, for partitions and a stream long enough to cut
            cur.execute("INSERT INTO wired (id, ii, vc, tx, dt6, dc) "
                        "SELECT seq, seq % 1000, CONCAT('row ', seq), REPEAT('x', seq % 50), "
                        "'2024-01-01 00:00:00' + INTERVAL seq SECOND, seq / 100 "
                        f"FROM seq_10_to_{extra + 9}")
        conn.commit()


@pytest.fixture
def pg_df(pg_db: dict) -> Iterator[dict]:
    with pg_beside(pg_db, "_df") as dst:
        yield dst


def load(tmp_path: Path, src: dict, dst: dict, direct: bool, **settings: dict) -> dict:
    return load_direct_or_not(tmp_path, src, dst, src["database"], "wired", direct, **settings)


def table_of(endpoint: dict, schema: str) -> tuple[list[tuple], list[tuple]]:
    with pg_connect(endpoint) as conn:
        types = fetch(conn, "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                            "WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum",
                      (f'"{schema}".wired',))
        return types, fetch(conn, f'SELECT * FROM "{schema}".wired')


def source_rows(src: dict) -> list[tuple]:
    with my_connect(src) as conn:
        return fetch(conn, "SELECT * FROM wired")


def test_every_wire_form_loads_as_the_dataframe_path_does(my_db, pg_db, pg_df, tmp_path):
    seed(my_db, extra=3000)
    direct = load(tmp_path, my_db, pg_db, True)
    spark = load(tmp_path, my_db, pg_df, False)
    assert "direct copy" in direct["PartitionMethod"]
    assert "direct copy" not in spark["PartitionMethod"]
    assert direct["FullLoadRows"] == spark["FullLoadRows"] == len(ROWS) + 3000
    schema = "public"
    types, rows = table_of(pg_db, schema)
    df_types, df_rows = table_of(pg_df, schema)
    assert types == df_types
    assert_same_rows(normalise(df_rows), normalise(rows))
    # and against the source itself: booleans as the JDBC read makes them (non-zero: true)
    expected = [(*r[:10], None if r[10] is None else r[10] != 0, *r[11:])
                for r in source_rows(my_db)]
    assert_same_rows(normalise(expected), normalise(rows))


def test_a_zero_date_goes_through_spark_with_the_same_result(my_db, pg_db, pg_df, tmp_path):
    seed(my_db)
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_mode = ''")
        cur.execute("UPDATE wired SET d = '0000-00-00', dtm = '2024-00-10 00:00:00' WHERE id = 2")
        conn.commit()
    stop = {"ErrorBehavior": {"DataErrorPolicy": "STOP_TASK"}}
    direct = load(tmp_path, my_db, pg_db, True, **stop)
    spark = load(tmp_path, my_db, pg_df, False, **stop)
    assert any("direct copy refused a row" in n for n in direct["Notes"])
    assert "direct copy" not in direct["PartitionMethod"]
    assert direct["ZeroDatesAsNull"] == spark["ZeroDatesAsNull"] == 2
    schema = "public"
    assert_same_rows(normalise(table_of(pg_df, schema)[1]), normalise(table_of(pg_db, schema)[1]))


def _kill_source_stream(src: dict, done: threading.Event, killed: list[int]) -> None:
    """Kill the server side of the first direct-copy SELECT seen streaming."""
    with my_connect(src) as conn, conn.cursor() as cur:
        while not done.is_set() and not killed:
            cur.execute("SELECT id FROM information_schema.PROCESSLIST "
                        "WHERE INFO LIKE 'SELECT CONCAT_WS%%' AND TIME_MS > 50")
            for (pid,) in cur.fetchall():
                cur.execute(f"KILL {int(pid)}")
                killed.append(int(pid))
            time.sleep(0.02)


def test_a_source_stream_cut_mid_partition_is_retried_exact(my_db, pg_db, tmp_path):
    seed(my_db, extra=200_000)
    with my_connect(my_db) as conn, conn.cursor() as cur:  # a slow stream: long enough to cut
        cur.execute("UPDATE wired SET tx = REPEAT('y', 1000) WHERE id % 2 = 0")
        conn.commit()
    folder = tmp_path / "cut"
    folder.mkdir()
    task = write_task(folder, my_db, pg_db, [selection(my_db["database"], "wired")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": {"DirectCopy": True}})
    run, killed = run_while_cutting(task, folder / "r.json",
                                    lambda done, killed: _kill_source_stream(my_db, done, killed))
    assert killed, "the stream was never seen running: nothing was cut"
    assert run.returncode == 0, run.stdout[-3000:]
    assert "direct copy" in json.loads((folder / "r.json").read_text())["tables"][0][
        "PartitionMethod"]
    schema = "public"
    with pg_connect(pg_db) as conn:
        rows = fetch(conn, f'SELECT id, ii, vc, tx, dt6, dc FROM "{schema}".wired')
    with my_connect(my_db) as conn:
        expected = fetch(conn, "SELECT id, ii, vc, tx, dt6, dc FROM wired")
    assert len(rows) == len(expected)
    assert_same_rows(normalise(expected), normalise(rows))


def test_the_client_and_the_driver_read_the_same_bytes(my_db, pg_db, tmp_path):
    from sparkdms.connectors.mysql.textout import chunks, client

    from sparkdms.app import prepare

    seed(my_db, extra=500)
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"], "wired")])
    prep = prepare(task)
    stream = prep.source.text_stream(prep.plan.tables[0])
    assert stream is not None and client() is not None
    got = [(b"".join(chunks(prep.source, q)), b"".join(chunks(prep.source, q, program="")))
            for q in stream.parts]
    assert all(by_client == by_driver for by_client, by_driver in got)
    lines = b"".join(c for c, _ in got).splitlines()
    assert len(lines) == len(ROWS) + 500
    assert all(line.count(b"\t") == len(stream.columns) - 1 for line in lines)


def test_a_latin1_target_database_gets_the_same_characters(my_db, pg_db, tmp_path):
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE wired (id int PRIMARY KEY, vc varchar(20), tx text)")
        cur.executemany("INSERT INTO wired VALUES (%s, %s, %s)",
                        [(1, "Zoë café", "naïve\tß"), (2, "¡olé!", None), (3, None, "ÿ\\")])
        conn.commit()
    latin1 = {**pg_db, "database": pg_db["database"] + "_latin1"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{latin1["database"]}" ENCODING \'LATIN1\' '
                     "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    stats = load(tmp_path, my_db, latin1, True)
    assert "direct copy" in stats["PartitionMethod"]
    with pg_connect(latin1) as conn:
        rows = fetch(conn, "SELECT id, vc, tx FROM public.wired")
    with my_connect(my_db) as conn:
        assert_same_rows(normalise(fetch(conn, "SELECT id, vc, tx FROM wired")), normalise(rows))
