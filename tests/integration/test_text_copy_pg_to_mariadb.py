"""PostgreSQL -> MariaDB direct copy between engines (the neutral text stream,
connectors/wire.py; PostgreSQL's side in connectors/postgres/textout.py, MariaDB's LOAD DATA
from a named pipe in connectors/mysql/textin.py): the tables it writes equal, value for
value, type for type and both ways, what the DataFrame path writes from the same source; a
value MariaDB has no place for sends the table through Spark rows with the same result; the
source's COPY cut mid-partition commits nothing of that attempt, and the retry loads every
row once."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import tempfile
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sparkdms.connectors.mysql.connector import MariaDBConnector
from sparkdms.connectors.sql.direct import REFUSED_MARK
from sparkdms.connectors.sql.spec import WriteSpec

from sparkdms.cli import main as sparkdms
from sparkdms.task import Endpoint
from sparkdms.task.secrets import Secret
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import (
    assert_same_rows,
    fetch,
    load_direct_or_not,
    normalise,
    run_while_cutting,
    selection,
    write_task,
)
from tests.integration.test_full_load import run_ok

DDL = """CREATE TABLE public.wired (
  id bigint NOT NULL PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, n numeric(12,2),
  nbig numeric(38,18), flag boolean, vc varchar(40), tx text, d date, ts timestamp(6),
  ts0 timestamp(0), b bytea)"""
# every byte the stream escapes, the three COPY escapes it does not allow (\b \f \v), and
# a backslash before the letters of those escapes
SPECIAL = ("a\\b\tc\nd\re\x0cf\x0bg\x08h 'q' \"d\" \\N NULL \\f\\v\\b \\\\f \x01 \\"
           "\x0c\\\x0c")
ROWS = [
    (1, -32768, -2147483648, -9223372036854775808, Decimal("-9999999999.99"),
     Decimal("-12345678901234567890.123456789012345678"), True, "Zoë ✓ 李雷 🚀 \\f", SPECIAL * 3,
     "0999-06-15", "2024-02-29 23:59:59.999999", "1970-01-01 00:00:00",
     b"\x00\x01\\\t\n\x0c\xfe\xff"),
    (2, 32767, 2147483647, 9223372036854775807, Decimal("0.05"),
     Decimal("-0.000000000000000001"), False, "", "", "9999-12-31", "1900-01-01 00:00:00.000001",
     "9999-12-31 23:59:59", b""),
    (3, 0, 0, 0, Decimal("0.00"), Decimal("0"), None, "\\", "\\\\N", "2000-02-29",
     "2000-01-01 00:00:00.5", "2000-01-01 00:00:00", b"\\N"),
    (4, *([None] * 12)),
]
INSERT = f"INSERT INTO public.wired VALUES ({', '.join(['%s'] * 13)})"
COLUMNS = "id, i2, i4, i8, n, nbig, flag, vc, tx, d, ts, ts0, b"


def seed(src: dict, extra: int = 0, wide: int = 0) -> None:
    with pg_connect(src) as conn, conn.cursor() as cur:
        cur.execute(DDL)
        cur.executemany(INSERT, ROWS)
        if extra:  # many plain rows: several partitions, a stream long enough to cut
            cur.execute("INSERT INTO public.wired (id, i4, vc, tx, ts, n, b) "
                        "SELECT g, g %% 1000, 'row ' || g, repeat(chr(12) || 'x', "
                        f"CASE WHEN g %% 2 = 0 THEN {wide} ELSE g %% 50 END), "
                        "timestamp '2024-01-01' + g * interval '1 second', g / 100.0, "
                        "int4send(g) FROM generate_series(10, %s) g", (extra + 9,))


@contextlib.contextmanager
def my_beside(my_db: dict, suffix: str) -> Iterator[dict]:
    """Another MariaDB database named after ``my_db`` (dropped with it by the fixture)."""
    dst = {**my_db, "database": my_db["database"] + suffix}
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{dst['database']}` CHARACTER SET utf8mb4")
    yield dst


@pytest.fixture
def my_df(my_db: dict) -> Iterator[dict]:
    with my_beside(my_db, "_df") as dst:
        yield dst


def load(tmp_path: Path, src: dict, dst: dict, direct: bool, **settings: dict) -> dict:
    own = {"RowsPerPartition": 1000, **settings.pop("Sparkdms", {})}
    return load_direct_or_not(tmp_path, src, dst, "public", "wired", direct, own, **settings)


def table_of(endpoint: dict) -> tuple[list[tuple], list[tuple]]:
    with my_connect(endpoint) as conn:
        types = fetch(conn, "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
                            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'wired' "
                            "ORDER BY ORDINAL_POSITION")
        return types, fetch(conn, f"SELECT {COLUMNS} FROM wired")


def source_rows(src: dict, where: str = "") -> list[tuple]:
    """The source in the target's normal form: booleans as 1/0, bytea as bytes."""
    with pg_connect(src) as conn:
        rows = fetch(conn, f"SELECT {COLUMNS.replace('flag', 'flag::int')} FROM public.wired"
                           + where)
    return [(*r[:12], None if r[12] is None else bytes(r[12])) for r in rows]


def test_every_wire_form_loads_as_the_dataframe_path_does(pg_db, my_db, my_df, tmp_path):
    seed(pg_db, extra=3000, wide=3)
    direct = load(tmp_path, pg_db, my_db, True)
    spark = load(tmp_path, pg_db, my_df, False)
    assert "direct copy" in direct["PartitionMethod"]
    assert "direct copy" not in spark["PartitionMethod"]
    assert direct["FullLoadRows"] == spark["FullLoadRows"] == len(ROWS) + 3000
    types, rows = table_of(my_db)
    df_types, df_rows = table_of(my_df)
    assert types == df_types
    assert dict(types)["b"] == "longblob" and dict(types)["ts"] == "datetime(6)"
    assert_same_rows(normalise(df_rows), normalise(rows))
    assert_same_rows(normalise(source_rows(pg_db)), normalise(rows))
    with my_connect(my_db) as conn:  # the special characters, byte for byte
        assert fetch(conn, "SELECT tx, vc FROM wired WHERE id = 1") == [(SPECIAL * 3, ROWS[0][7])]
        assert fetch(conn, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                           "TABLE_SCHEMA = DATABASE() AND COLUMN_NAME = '_sdms_attempt'") == [(0,)]


def run(tmp_path: Path, src: dict, dst: dict, direct: bool, prep: str = "DROP_AND_CREATE",
        table: str = "wired", **settings: dict) -> tuple[int, dict]:
    """(exit code, the report's table) of a load that may fail."""
    folder = tmp_path / ("direct" if direct else "dataframe")
    folder.mkdir(exist_ok=True)
    task = write_task(folder, src, dst, [selection("public", table)],
                      {"FullLoadSettings": {"TargetTablePrepMode": prep},
                       "Sparkdms": {"DirectCopy": direct, "RowsPerPartition": 1000},
                       **settings})
    code = sparkdms(["run", str(task), "--report", str(folder / "r.json")])
    return code, json.loads((folder / "r.json").read_text())["tables"][0]


@pytest.mark.parametrize("bad", ["d = '10000-01-01'", "ts = '0044-03-15 12:00:00 BC'",
                                 "ts0 = 'infinity'", "n = 'NaN'"])
def test_a_value_only_postgres_has_is_refused_then_stops_as_without(pg_db, my_db, my_df,
                                                                     tmp_path, bad):
    """MariaDB refuses the value in the stream (a warning), the table goes through Spark rows,
    which stop it exactly as the DataFrame path does; nothing of it is committed."""
    seed(pg_db, extra=2000)
    with pg_connect(pg_db) as conn:
        conn.execute(f"UPDATE public.wired SET {bad} WHERE id = 1500")
    code, direct = run(tmp_path, pg_db, my_db, True)
    df_code, spark = run(tmp_path, pg_db, my_df, False)
    assert code == df_code != 0
    assert any("direct copy refused a row" in n for n in direct.get("Notes", [])), direct
    assert direct["TableState"] == spark["TableState"] == "Table error"
    assert direct["Error"] == spark["Error"], (direct, spark)
    for dst in (my_db, my_df):
        with my_connect(dst) as conn:
            assert fetch(conn, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                               "TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'wired%%'") == [(0,)]


def test_a_row_too_long_for_the_target_is_rejected_as_without(pg_db, my_db, my_df, tmp_path):
    """An existing target table with a narrower column: the direct copy's LOAD DATA warns,
    the table goes through Spark rows, where the row is rejected as the DataFrame path does,
    and every other row loads."""
    seed(pg_db, extra=2000)
    with pg_connect(pg_db) as conn:
        conn.execute("UPDATE public.wired SET vc = 'longer than twelve' WHERE id = 1500")
    for dst in (my_db, my_df):
        with my_connect(dst) as conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE wired (id bigint NOT NULL PRIMARY KEY, i2 smallint, "
                        "i4 int, i8 bigint, n decimal(12,2), nbig decimal(38,18), "
                        "flag tinyint(1), vc varchar(12), tx longtext, d date, ts datetime(6), "
                        "ts0 datetime, b longblob)")
    code, direct = run(tmp_path, pg_db, my_db, True, "TRUNCATE_BEFORE_LOAD")
    df_code, spark = run(tmp_path, pg_db, my_df, False, "TRUNCATE_BEFORE_LOAD")
    assert code == df_code
    assert any("direct copy refused a row" in n for n in direct["Notes"]), direct
    assert "direct copy" not in direct["PartitionMethod"]
    assert direct["FullLoadRows"] == spark["FullLoadRows"] == len(ROWS) + 2000 - 2
    assert direct["FullLoadErrorRows"] == spark["FullLoadErrorRows"] == 2  # ids 1 and 1500
    types, rows = table_of(my_db)
    df_types, df_rows = table_of(my_df)
    assert types == df_types
    assert_same_rows(normalise(df_rows), normalise(rows))
    assert_same_rows(normalise(source_rows(pg_db, " WHERE id NOT IN (1, 1500)")),
                     normalise(rows))


def _kill_source_stream(src: dict, done: threading.Event, killed: list[int]) -> None:
    """Terminate the backend of the first direct-copy COPY seen streaming a while."""
    with pg_connect(src, autocommit=True) as conn:
        while not done.is_set() and not killed:
            pids = fetch(conn, "SELECT pid FROM pg_stat_activity WHERE application_name = "
                               "'sparkdms text copy' AND state = 'active' "
                               "AND now() - query_start > interval '30 milliseconds'")
            for (pid,) in pids:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
                killed.append(int(pid))
            time.sleep(0.01)


def test_a_source_stream_cut_mid_partition_is_retried_exact(pg_db, my_db, tmp_path):
    seed(pg_db, extra=100_000, wide=400)
    folder = tmp_path / "cut"
    folder.mkdir()
    task = write_task(folder, pg_db, my_db, [selection("public", "wired")],
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": {"DirectCopy": True, "RowsPerPartition": 50_000}})
    run, killed = run_while_cutting(task, folder / "r.json",
                                    lambda done, killed: _kill_source_stream(pg_db, done, killed))
    assert killed, "the stream was never seen running: nothing was cut"
    assert run.returncode == 0, run.stdout[-3000:]
    jvm = (folder / "r.jvm.log").read_text()  # the cut attempt failed, Spark ran it again
    assert "Exception in task" in jvm
    # the server's FATAL message, or (over SSL, when the socket closes before it is read)
    # the end of the connection itself
    assert any(cut in jvm for cut in ("terminating connection due to administrator command",
                                      "SSL error: unexpected eof", "server closed the connection"))
    table = json.loads((folder / "r.json").read_text())["tables"][0]
    assert "direct copy" in table["PartitionMethod"]
    with my_connect(my_db) as conn:
        rows = fetch(conn, f"SELECT {COLUMNS} FROM wired")
    assert len(rows) == len(ROWS) + 100_000 == table["FullLoadRows"]
    assert_same_rows(normalise(source_rows(pg_db)), normalise(rows))


# -- the target's load_text on its own, against the real MariaDB (no Spark) ----------------
STAGE_DDL = ("CREATE TABLE stage (id bigint PRIMARY KEY, vc varchar(8), d date, b longblob, "
             "_sdms_attempt bigint)")


def target_of(my_db: dict) -> tuple[MariaDBConnector, WriteSpec]:
    ep = Endpoint(role="target", engine="mariadb", host=my_db["host"], port=my_db["port"],
                  database=my_db["database"], user=my_db["user"],
                  password=Secret(my_db["password"]))
    spec = WriteSpec(MariaDBConnector, ep, my_db["database"], "stage", ("id", "vc", "d", "b"),
                     "load", "stage", 100, my_db["database"])
    return MariaDBConnector(ep), spec


def load_text(my_db: dict, chunks: Iterator[bytes], attempt: int = 7) -> tuple[Any, list]:
    """``load_text`` in one transaction, committed only when it returned: (its error or
    None, the committed rows)."""
    connector, spec = target_of(my_db)
    conn, error = connector.connect(), None
    try:
        with conn.cursor() as cur:
            connector.load_text(cur, spec, chunks, attempt)
        conn.commit()
    except Exception as err:
        conn.rollback()
        error = err
    finally:
        conn.close()
    with my_connect(my_db) as conn:
        return error, fetch(conn, "SELECT id, vc, d, b, _sdms_attempt FROM stage ORDER BY id")


def lines(start: int, stop: int) -> bytes:
    return b"".join(b"%d\tv%d\t2024-01-02\t\\\\x%02X\n" % (i, i % 1000, i % 256)
                    for i in range(start, stop))


def test_load_text_loads_every_line_with_the_attempt_tag(my_db):
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(STAGE_DDL)
    chunks = iter([lines(0, 5000), b"5000\t\\N\t\\N\t\\N\n5001\ta\\\\b\\tc\t\\N\t\\\\x\n"])
    error, rows = load_text(my_db, chunks)
    assert error is None
    assert len(rows) == 5002 and {r[4] for r in rows} == {7}
    assert rows[0] == (0, "v0", dt.date(2024, 1, 2), b"\x00", 7)
    assert rows[-2:] == [(5000, None, None, None, 7), (5001, "a\\b\tc", None, b"", 7)]
    assert not list(Path(tempfile.gettempdir()).glob("sdms-text-*"))  # the pipe is gone


def test_a_source_failing_part_way_commits_nothing(my_db):
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(STAGE_DDL)

    def failing() -> Iterator[bytes]:
        for i in range(10):
            yield lines(i * 1000, (i + 1) * 1000)
        raise OSError("the source's connection broke")

    error, rows = load_text(my_db, failing())
    assert isinstance(error, OSError) and "connection broke" in str(error)
    assert rows == []
    error, rows = load_text(my_db, iter([lines(0, 10_000)]), attempt=8)  # the retry
    assert error is None and len(rows) == 10_000 and {r[4] for r in rows} == {8}


def test_a_refused_value_is_a_direct_copy_refusal(my_db):
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(STAGE_DDL)
    chunks = iter([lines(0, 100), b"100\ttoo long for eight\t\\N\t\\N\n", lines(101, 200)])
    error, rows = load_text(my_db, chunks)
    assert isinstance(error, RuntimeError) and str(error).startswith(REFUSED_MARK)
    assert "Data truncated for column 'vc'" in str(error) and "stage" in str(error)
    assert rows == []
    error, rows = load_text(my_db, iter([lines(0, 10), b"10\tv\t0000-00-00\t\\N\n"]))
    assert isinstance(error, RuntimeError) and "'d'" in str(error), error  # a zero date too
    assert rows == []


def test_a_load_that_fails_before_reading_does_not_wait_for_the_source(my_db):
    """No staging table: LOAD DATA fails before it asks for the file; the feeding thread
    never opened the pipe and ends, the source is never read."""
    read = []

    def source() -> Iterator[bytes]:
        read.append(1)
        yield lines(0, 10)

    started = time.monotonic()
    error, _ = _load_without_table(my_db, source())
    assert error is not None and "stage" in str(error)
    assert time.monotonic() - started < 10 and read == []
    assert not [t for t in threading.enumerate() if t.name == "sdms-text-feed"]


def _load_without_table(my_db: dict, chunks: Iterator[bytes]) -> tuple[Any, None]:
    connector, spec = target_of(my_db)
    conn = connector.connect()
    try:
        with conn.cursor() as cur:
            connector.load_text(cur, spec, chunks, 1)
        return None, None
    except Exception as err:
        return err, None
    finally:
        conn.close()


def test_mariadb_to_mariadb_takes_the_text_stream_as_exactly(my_db, tmp_path):
    """MariaDB's own text stream (connectors/mysql/textout.py) into MariaDB: the same table,
    types and values as the DataFrame path writes."""
    from tests.integration.test_text_copy_mariadb_to_pg import seed as seed_my

    seed_my(my_db, extra=2000)
    with my_beside(my_db, "_direct") as direct_db, my_beside(my_db, "_df") as df_db:
        reports = {}
        for name, dst, direct in (("direct", direct_db, True), ("dataframe", df_db, False)):
            folder = tmp_path / name
            folder.mkdir()
            task = write_task(folder, my_db, dst, [selection(my_db["database"], "wired")],
                              {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                               "Sparkdms": {"DirectCopy": direct, "RowsPerPartition": 1000}})
            reports[name] = run_ok(task, folder / "r.json")["tables"][0]
        assert "direct copy" in reports["direct"]["PartitionMethod"]
        assert "direct copy" not in reports["dataframe"]["PartitionMethod"]
        assert reports["direct"]["FullLoadRows"] == reports["dataframe"]["FullLoadRows"] == 2004
        with my_connect(direct_db) as a, my_connect(df_db) as b:
            types = ("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE "
                     "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'wired' ORDER BY ORDINAL_POSITION")
            assert fetch(a, types) == fetch(b, types) != []
            assert_same_rows(normalise(fetch(b, "SELECT * FROM wired")),
                             normalise(fetch(a, "SELECT * FROM wired")))


def test_a_mariadb_zero_date_is_refused_then_loaded_as_null(my_db, tmp_path):
    """The target session warns of a zero date (NO_ZERO_DATE): the table goes through Spark
    rows, where ``options.zero_date`` (null) applies, never a zero date copied as it is."""
    from tests.integration.test_text_copy_mariadb_to_pg import seed as seed_my

    seed_my(my_db)
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_mode = ''")
        cur.execute("UPDATE wired SET d = '0000-00-00' WHERE id = 2")
        conn.commit()
    with my_beside(my_db, "_direct") as dst:
        task = write_task(tmp_path, my_db, dst, [selection(my_db["database"], "wired")],
                          {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                           "Sparkdms": {"DirectCopy": True}})
        table = run_ok(task, tmp_path / "r.json")["tables"][0]
        assert any("direct copy refused a row" in n for n in table["Notes"]), table
        assert table["ZeroDatesAsNull"] == 1
        with my_connect(dst) as conn:
            assert fetch(conn, "SELECT d FROM wired WHERE id = 2") == [(None,)]
