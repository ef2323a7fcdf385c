"""The kinds a real table adds to the neutral text stream (connectors/wire.py): floats,
instants, fixed-length text, and the kinds the DataFrame path carries as the source's own
text (time, year, enum, set, json, uuid, inet). Both ways between MariaDB and PostgreSQL the
direct copy writes what the DataFrame path writes, value for value and type for type, and
both equal the source: floats to the last bit, instants to the microsecond whatever either
server's time zone. A MariaDB FLOAT reaches the target whole on the DataFrame path too (the
server's text of a FLOAT has 6 digits)."""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator

import pytest

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_beside, pg_connect
from tests.integration.helpers import (
    assert_same_rows,
    fetch,
    load_direct_or_not,
    normalise,
    selection,
    write_task,
)
from tests.integration.test_text_copy_pg_to_mariadb import my_beside, run

F32 = [1 / 7, 3.4028234663852886e38, -1.1754943508222875e-38, 1.401298464324817e-45, 0.1,
       16777217.0, -2.5]
F64 = [0.1 + 0.2, 1.7976931348623157e308, 5e-324, -1 / 3, 1e21, 123456789.125, 0.0]
ODD_ZONE = "Asia/Kathmandu"  # +05:45: an instant read or written in it would show


def single(x: float) -> float:
    """``x`` rounded to the nearest IEEE single, as a double."""
    return struct.unpack("f", struct.pack("f", x))[0]


def json_canon(rows: list[tuple], *at: int) -> list[tuple]:
    """``rows`` with the JSON texts at positions ``at`` in one form (keys sorted, no spaces):
    PostgreSQL's jsonb keeps its own."""
    def canon(v: object) -> object:
        return v if v is None else json.dumps(json.loads(str(v)), sort_keys=True)

    return [tuple(canon(v) if i in at else v for i, v in enumerate(r)) for r in rows]


# -- MariaDB -> PostgreSQL ------------------------------------------------------------------
MY_DDL = """CREATE TABLE kinds (id int PRIMARY KEY, f float, f8 double, tz timestamp(6) NULL,
  e enum('a','b','ü c'), st set('x','y','z'), j json, t time(3), c char(6), y year, u uuid,
  v varchar(10))"""
MY_ROWS = [
    (i, F32[i], F64[i], tz, e, st, j, t, c, y, u, v)
    for i, (tz, e, st, j, t, c, y, u, v) in enumerate([
        ("2024-02-29 23:59:59.999999", "a", "x,z", '{"a": "x\\\\y\\t", "b": [1, 2.50, null]}',
         "23:59:59.999", "ab", 1901, "123e4567-e89b-12d3-a456-426614174000", "Zoë\\t"),
        ("1970-01-01 00:00:01", "ü c", "", "[]", "00:00:00", "", 2155,
         "00000000-0000-0000-0000-000000000000", ""),
        ("2038-01-19 03:14:07.5", "b", "y", '"\\u00e9 \\n"', "12:00:00.001", " x ", 2000,
         "ffffffff-ffff-ffff-ffff-ffffffffffff", "a\tb\nc"),
        ("2000-01-01 00:00:00", None, None, "null", None, "ééé", None, None, None),
        *[("2024-01-01 10:00:00", "a", "x,y,z", '{"k": 1}', "01:02:03.004", "c", 1999,
           "123e4567-e89b-12d3-a456-42661417400a", "v")] * 3,
    ])
] + [(100, *([None] * 11))]


def seed_mariadb(src: dict) -> None:
    with my_connect(src) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        cur.execute(MY_DDL)
        cur.executemany(f"INSERT INTO kinds VALUES ({', '.join(['%s'] * 12)})", MY_ROWS)
        cur.execute("INSERT INTO kinds (id, f, f8, tz, j, c) SELECT seq, seq / 7, seq / 3, "
                    "'2024-01-01' + INTERVAL seq SECOND, JSON_OBJECT('n', seq), "
                    "CONCAT('r', seq % 100) FROM seq_1000_to_3999")
        conn.commit()


@pytest.fixture
def pg_odd(pg_db: dict) -> Iterator[tuple[dict, dict]]:
    """Two PostgreSQL databases whose sessions default to a time zone other than UTC."""
    with pg_beside(pg_db, "_df") as df:
        with pg_connect(pg_db, autocommit=True) as conn:
            for db in (pg_db, df):
                conn.execute(f'ALTER DATABASE "{db["database"]}" SET TimeZone = \'{ODD_ZONE}\'')
        yield pg_db, df


def pg_table(endpoint: dict) -> tuple[list[tuple], list[tuple]]:
    with pg_connect(endpoint) as conn:
        types = fetch(conn, "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                            "WHERE attrelid = 'public.kinds'::regclass AND attnum > 0 "
                            "ORDER BY attnum")
        conn.execute("SET TimeZone = 'UTC'")
        rows = fetch(conn, "SELECT id, f::float8, f8, tz, e, st, j::text, extract(epoch FROM t), "
                           "c, y, "
                           "u::text, v FROM public.kinds")
        return types, rows


def test_mariadb_kinds_load_directly_as_the_dataframe_path_does(my_db, pg_odd, tmp_path):
    pg_direct, pg_df = pg_odd
    seed_mariadb(my_db)
    direct = load_direct_or_not(tmp_path, my_db, pg_direct, my_db["database"], "kinds", True)
    spark = load_direct_or_not(tmp_path, my_db, pg_df, my_db["database"], "kinds", False)
    assert "direct copy" in direct["PartitionMethod"], direct
    assert "direct copy" not in spark["PartitionMethod"]
    types, rows = pg_table(pg_direct)
    df_types, df_rows = pg_table(pg_df)
    assert types == df_types
    assert dict(types)["f"] == "real" and dict(types)["tz"] == "timestamp with time zone"
    assert_same_rows(normalise(df_rows), normalise(rows))
    with my_connect(my_db) as conn, conn.cursor() as cur:  # the source, in the same forms
        # (PostgreSQL pads a char(6); times compared as seconds)
        cur.execute("SET time_zone = '+00:00'")
        cur.execute("SELECT id, CAST(f AS DOUBLE), f8, tz, e, st, j, TIME_TO_SEC(t), "
                    "IF(c IS NULL, NULL, RPAD(c, 6, ' ')), y, "
                    "CAST(u AS CHAR), v FROM kinds")
        source = [tuple(r) for r in cur.fetchall()]
    assert_same_rows(normalise(json_canon(source, 6)), normalise(json_canon(rows, 6)))
    by_id = {r[0]: r for r in rows}
    assert [by_id[i][1] for i in range(len(F32))] == [single(x) for x in F32]
    assert [by_id[i][2] for i in range(len(F64))] == F64


def test_a_mariadb_float_keeps_every_digit_on_the_dataframe_path(my_db, pg_db, tmp_path):
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE kinds (id int PRIMARY KEY, f float)")
        cur.executemany("INSERT INTO kinds VALUES (%s, %s)", list(enumerate(F32)))
        conn.commit()
    stats = load_direct_or_not(tmp_path, my_db, pg_db, my_db["database"], "kinds", False)
    assert "direct copy" not in stats["PartitionMethod"]
    with pg_connect(pg_db) as conn:
        got = dict(fetch(conn, "SELECT id, f::float8 FROM public.kinds"))
    assert [got[i] for i in range(len(F32))] == [single(x) for x in F32]
    assert got[0] != single(0.142857)  # what the server's 6-digit text of it would give


# -- PostgreSQL -> MariaDB ------------------------------------------------------------------
PG_DDL = ["CREATE TYPE mood AS ENUM ('sad', 'ok', 'höher')",
          """CREATE TABLE public.kinds (id int PRIMARY KEY, r real, f8 double precision,
  tz timestamptz(6), jb jsonb, js json, u uuid, c char(6), t time(3), m mood, ip inet,
  v varchar(10))"""]
PG_ROWS = [
    (i, F32[i], F64[i], tz, jb, js, u, c, t, m, ip, v)
    for i, (tz, jb, js, u, c, t, m, ip, v) in enumerate([
        ("2024-02-29 23:59:59.999999+00", '{"a": "x\\\\y\\t", "b": [1, 2.50, null]}',
         '{"b":  1, "a" : "\\u00e9"}', "123e4567-e89b-12d3-a456-426614174000", "ab",
         "23:59:59.999", "sad", "10.0.0.1", "Zoë\\t"),
        ("0001-01-01 00:00:00+00", "[]", "[]", "00000000-0000-0000-0000-000000000000", "",
         "00:00:00", "höher", "::1", ""),
        ("9999-12-31 23:59:59.5+14", '"é \\n"', '"x"', "FFFFFFFF-ffff-FFFF-ffff-ffffffffffff",
         " x ", "12:00:00.001", "ok", "192.168.0.0/24", "a\tb\nc"),
        ("2000-01-01 05:45:00+05:45", "null", "null", None, "ééé", None, None, None, None),
        *[("2024-01-01 10:00:00-03:30", '{"k": 1}', '{"k":1}',
           "123e4567-e89b-12d3-a456-42661417400a", "c", "01:02:03.004", "ok", "fe80::1",
           "v")] * 3,
    ])
] + [(100, *([None] * 11))]


def seed_postgres(src: dict) -> None:
    with pg_connect(src) as conn, conn.cursor() as cur:
        for sql in PG_DDL:
            cur.execute(sql)
        cur.executemany(f"INSERT INTO public.kinds VALUES ({', '.join(['%s'] * 12)})", PG_ROWS)
        cur.execute("INSERT INTO public.kinds (id, r, f8, tz, jb, c) SELECT g, g / 7.0, "
                    "g / 3.0, timestamptz '2024-01-01 00:00:00+00' + g * interval '1.5 s', "
                    "jsonb_build_object('n', g), 'r' || g % 100 FROM generate_series(1000, 3999) g")
    with pg_connect(src, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{src["database"]}" SET TimeZone = \'{ODD_ZONE}\'')


@pytest.fixture
def my_df(my_db: dict) -> Iterator[dict]:
    with my_beside(my_db, "_df") as dst:
        yield dst


COLUMNS = ("id, CAST(r AS DOUBLE), f8, DATE_FORMAT(tz, '%%Y-%%m-%%d %%H:%%i:%%s.%%f'), "
           "jb, js, u, c, CAST(t AS CHAR), m, ip, v")


def my_table(endpoint: dict) -> tuple[list[tuple], list[tuple]]:
    with my_connect(endpoint) as conn:
        types = fetch(conn, "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
                            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'kinds' "
                            "ORDER BY ORDINAL_POSITION")
        return types, fetch(conn, f"SELECT {COLUMNS} FROM kinds")


def test_postgres_kinds_load_directly_as_the_dataframe_path_does(pg_db, my_db, my_df, tmp_path):
    seed_postgres(pg_db)
    direct = load_direct_or_not(tmp_path, pg_db, my_db, "public", "kinds", True)
    spark = load_direct_or_not(tmp_path, pg_db, my_df, "public", "kinds", False)
    assert "direct copy" in direct["PartitionMethod"], direct
    assert "direct copy" not in spark["PartitionMethod"]
    types, rows = my_table(my_db)
    df_types, df_rows = my_table(my_df)
    assert types == df_types
    assert dict(types)["r"] == "float" and dict(types)["tz"] == "datetime(6)"
    assert_same_rows(normalise(df_rows), normalise(rows))
    by_id = {r[0]: r for r in rows}
    assert [by_id[i][1] for i in range(len(F32))] == [single(x) for x in F32]
    assert [by_id[i][2] for i in range(len(F64))] == F64
    with pg_connect(pg_db) as conn:  # the source's instants as UTC wall clocks
        want = dict(fetch(conn, "SELECT id, to_char(tz AT TIME ZONE 'UTC', "
                                "'YYYY-MM-DD HH24:MI:SS.US') FROM public.kinds"))
    assert {r[0]: r[3] for r in rows} == want
    assert by_id[3][3] == "2000-01-01 00:00:00.000000"


def test_a_nan_postgres_float_is_refused_then_rejected_as_without(pg_db, my_db, my_df,
                                                                 tmp_path):
    """MariaDB has no NaN: LOAD DATA warns, the table goes through Spark rows, where the row
    is rejected as on the DataFrame path, and every other row loads."""
    seed_postgres(pg_db)
    with pg_connect(pg_db) as conn:
        conn.execute("UPDATE public.kinds SET f8 = 'NaN' WHERE id = 1500")
    code, direct = run(tmp_path, pg_db, my_db, True, table="kinds")
    df_code, spark = run(tmp_path, pg_db, my_df, False, table="kinds")
    assert code == df_code == 0
    assert any("direct copy refused a row" in n for n in direct["Notes"]), direct
    assert direct["FullLoadErrorRows"] == spark["FullLoadErrorRows"] == 1
    assert_same_rows(normalise(my_table(my_df)[1]), normalise(my_table(my_db)[1]))
    assert direct["FullLoadRows"] == len(PG_ROWS) + 3000 - 1


def test_plan_says_which_path_each_table_takes(my_db, pg_db, tmp_path, capsys):
    seed_mariadb(my_db)
    with my_connect(my_db) as conn, conn.cursor() as cur:  # bit(n) is read as a Spark string
        cur.execute("CREATE TABLE flags (id int PRIMARY KEY, b bit(5))")
        conn.commit()
    rules = [selection(my_db["database"], "kinds"), selection(my_db["database"], "flags", rule_id="2")]
    for direct in (True, False):
        task = write_task(tmp_path, my_db, pg_db, rules,
                          {"Sparkdms": {"DirectCopy": direct}}, name=f"plan{int(direct)}")
        assert sparkdms(["plan", str(task)]) == 0
        loads = [line.strip() for line in capsys.readouterr().out.splitlines()
                 if line.strip().startswith("load:")]
        if not direct:
            assert loads == ["load: through Spark rows (Sparkdms.DirectCopy is off)"] * 2
            continue
        assert sorted(loads)[0] == ("load: direct copy (the rows go from server to server, "
                                    "no Spark rows)")
        assert re.fullmatch(r"load: through Spark rows \(column b: bit\(5\) into \S+ "
                            r"is not carried exactly as text\)", sorted(loads)[1]), loads
