"""A MariaDB schema using every MySQL/MariaDB type, migrated to PostgreSQL and compared
value by value; the objects created after the load read back from PostgreSQL's
catalog; zero dates counted (options.zero_date: null) or stopping the table (error).

Documented normalisation (see typemap/postgres.py and typemap/mysql.py):
  tinyint(1)/bool   -> boolean (0/1 compared as False/True)
  float             -> real: compared as IEEE single values
  bit(n)            -> bit(n): compared as the number
  bigint unsigned   -> numeric(20,0): compared as integers
  timestamp         -> timestamptz: both read as UTC
  time              -> time: compared as times of day
  char(n)           -> character(n): PostgreSQL pads with spaces, MySQL strips them
  json              -> jsonb: compared parsed
  geometry          -> bytea holding the WKB of ST_AsBinary()
  inet4/inet6, uuid -> inet, uuid: compared as text
  zero dates        -> NULL (counted in the statistics as ZeroDatesAsNull)
"""

from __future__ import annotations

import datetime as dt
import json
import struct
from decimal import Decimal

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import fetch, selection, utc_naive, write_task
from tests.integration.test_full_load import run_ok

SCHEMA = [
    """CREATE TABLE owners (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, email varchar(120) NOT NULL,
  UNIQUE KEY uq_email (email))""",
    """CREATE TABLE everything (
  id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, owner_id int unsigned,
  ti tinyint, tu tinyint unsigned, si smallint, su smallint unsigned, mi mediumint,
  mu mediumint unsigned, ii int, iu int unsigned, bi bigint, bu bigint unsigned,
  dc decimal(12,2), dbig decimal(65,30), fl float, db double, b1 bit(1), b10 bit(10),
  b64 bit(64), flag tinyint(1), boolish bool, ch char(4), vc varchar(20), tt tinytext, tx text,
  mt mediumtext, lt longtext, bn binary(4), vb varbinary(16), tb tinyblob, bl blob,
  mb mediumblob, lb longblob, d date, dtm datetime, dt3 datetime(3), dt6 datetime(6),
  ts timestamp(6) NULL DEFAULT NULL, tm time, tm6 time(6), yr year, js json,
  en enum('small','medium','it''s large'), st set('a','b','c'), uu uuid, ip4 inet4, ip6 inet6,
  geo geometry, pt point, status varchar(10) NOT NULL DEFAULT 'new',
  created datetime(6) DEFAULT current_timestamp(6),
  CONSTRAINT fk_owner FOREIGN KEY (owner_id) REFERENCES owners (id) ON DELETE SET NULL,
  CONSTRAINT positive_dc CHECK (dc >= 0),
  KEY by_day (d, ii), UNIQUE KEY uq_vc (vc))""",
]

COLUMNS = ("id, owner_id, ti, tu, si, su, mi, mu, ii, iu, bi, bu, dc, dbig, fl, db, b1, b10, b64, "
           "flag, boolish, ch, vc, tt, tx, mt, lt, bn, vb, tb, bl, mb, lb, d, dtm, dt3, dt6, ts, "
           "tm, tm6, yr, js, en, st, uu, ip4, ip6, geo, pt")
INSERT_COLUMNS = COLUMNS.replace("geo, pt", "geo, pt, status")

BIG = "✓ Zoë 李雷 🚀 " * 20_000
ROWS = [
    (1, 1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
     -9223372036854775808, 18446744073709551615, Decimal("0.00"),
     Decimal("12345678901234567890123456789012345.123456789012345678901234567891"), 3.25, 1e-300,
     b"\x01", b"\x02\x05", b"\xff" * 8, 1, 0, "ab", "Zoë ✓ 李雷 🚀", "t", "text \\ 'q' \"d\"",
     BIG, BIG, b"ab", b"\x00\xff\x10", b"\x00", bytes(range(256)), bytes(range(256)) * 10,
     b"\x00\x01" * 100_000, "1000-01-01", "9999-12-31 23:59:59", "2024-02-29 12:34:56.789",
     "1970-01-01 00:00:01.000001", "2038-01-19 03:14:07.999999", "12:34:56", "23:59:59.999999",
     1901, '{"b": [1, 2.5, null], "a": "x"}', "it's large", "a,c",
     "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "192.168.1.1", "2001:db8::1", "POINT(1 2)",
     "POINT(-1.5 3)", "ok"),
    (2, None, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, 0,
     Decimal("9999999999.99"), Decimal("-0.000000000000000000000000000001"), -0.5, -2.5, b"\x00",
     b"\x00\x00", b"\x00" * 8, 0, 1, "", "", "", "", "", "", b"", b"", b"", b"", b"", b"",
     "0000-00-00", "0000-00-00 00:00:00", "2000-01-01 00:00:00", "2000-01-01 00:00:00",
     "1970-01-01 00:00:01", "00:00:00", "12:00:00.5", 2155, "[]", "small", "", None, "0.0.0.0",
     "::", "LINESTRING(0 0, 1 1)", "POINT(0 0)", "ok"),
    (3, None, *([None] * 47), "ok"),
]

SOURCE_SQL = (f"SELECT {COLUMNS.replace('geo, pt', 'ST_AsBinary(geo), ST_AsBinary(pt)')} "
              "FROM everything ORDER BY id")
TARGET_SQL = (f"SELECT {COLUMNS.replace('uu, ip4, ip6', 'uu::text, host(ip4), host(ip6)')} "
              "FROM public.everything ORDER BY id")


def seed(endpoint: dict) -> None:
    with my_connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        for ddl in SCHEMA:
            cur.execute(ddl)
        cur.execute("INSERT INTO owners (email) VALUES ('ann@example.org'), ('bob@example.org')")
        marks = ", ".join("ST_GeomFromText(%s)" if c in ("geo", "pt") else "%s"
                          for c in INSERT_COLUMNS.split(", "))
        cur.executemany(f"INSERT INTO everything ({INSERT_COLUMNS}) VALUES ({marks})", ROWS)
        conn.commit()


def f32(value: float | None) -> bytes | None:
    return None if value is None else struct.pack("<f", value)


def bits(value: object) -> int | None:
    if value is None:
        return None
    return int.from_bytes(value, "big") if isinstance(value, bytes) else int(value, 2)


def time_of_day(value: object) -> dt.time | None:
    if isinstance(value, dt.timedelta):
        return (dt.datetime.min + value).time()
    return value  # type: ignore[return-value]


def zero_date(value: object) -> object:
    return None if isinstance(value, str) and value.startswith("0000") else value


def normal(row: tuple, side: str) -> tuple:
    v = dict(zip(COLUMNS.split(", "), row, strict=True))
    for name in ("fl",):
        v[name] = f32(v[name])
    for name in ("b1", "b10", "b64"):
        v[name] = bits(v[name])
    for name in ("flag", "boolish"):
        v[name] = None if v[name] is None else bool(v[name])
    for name in ("tm", "tm6"):
        v[name] = time_of_day(v[name])
    for name in ("bn", "vb", "tb", "bl", "mb", "lb", "geo", "pt"):
        v[name] = None if v[name] is None else bytes(v[name])
    v["bu"] = None if v["bu"] is None else int(v["bu"])
    v["ts"] = utc_naive(v["ts"])
    v["js"] = None if v["js"] is None else json.loads(v["js"]) if isinstance(v["js"], str) \
        else v["js"]
    if side == "target":
        v["ch"] = None if v["ch"] is None else v["ch"].rstrip()
    else:
        v["d"], v["dtm"] = zero_date(v["d"]), zero_date(v["dtm"])
    return tuple(v.values())


def source_rows(endpoint: dict) -> list[tuple]:
    with my_connect(endpoint) as conn, conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        cur.execute(SOURCE_SQL.replace("d, dtm,", "CAST(d AS CHAR), CAST(dtm AS CHAR),"))
        rows = [list(r) for r in cur.fetchall()]
    names = COLUMNS.split(", ")
    for r in rows:  # the non-zero dates back to date/datetime values
        for name, parse in (("d", dt.date.fromisoformat), ("dtm", dt.datetime.fromisoformat)):
            i = names.index(name)
            if r[i] is not None and not r[i].startswith("0000"):
                r[i] = parse(r[i])
    return [normal(tuple(r), "source") for r in rows]


def test_every_mariadb_type_and_its_objects_to_postgres(pg_db, my_db, spark, tmp_path):
    seed(my_db)
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"])])
    report = run_ok(task, tmp_path / "r.json")
    source = source_rows(my_db)
    with pg_connect(pg_db) as pg:
        target = [normal(r, "target") for r in fetch(pg, TARGET_SQL)]
        types = dict(fetch(pg, "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                               "WHERE attrelid = 'public.everything'::regclass AND attnum > 0"))
    assert len(source) == len(target) == 3
    for got, want in zip(target, source, strict=True):
        for name, a, b in zip(COLUMNS.split(", "), got, want, strict=True):
            assert a == b, f"row {want[0]} column {name}: target {a!r} != source {b!r}"
    expected_types = {
        "id": "numeric(20,0)", "tu": "smallint", "su": "integer", "mu": "integer", "iu": "bigint",
        "bu": "numeric(20,0)", "dbig": "numeric(65,30)", "fl": "real", "b10": "bit(10)",
        "flag": "boolean", "ch": "character(4)", "lt": "text", "lb": "bytea",
        "dtm": "timestamp(0) without time zone", "dt3": "timestamp(3) without time zone",
        "ts": "timestamp with time zone", "tm": "time(0) without time zone", "yr": "smallint",
        "js": "jsonb", "en": "character varying(10)", "st": "character varying(5)", "uu": "uuid",
        "ip6": "inet", "geo": "bytea"}
    assert {k: types[k] for k in expected_types} == expected_types
    stats = {t["TableName"]: t for t in report["tables"]}
    assert stats["everything"]["ZeroDatesAsNull"] == 2
    assert stats["everything"]["ZeroDatesByColumn"] == {"d": 1, "dtm": 1}
    check_objects(pg_db, report)


def check_objects(pg_db: dict, report: dict) -> None:
    with pg_connect(pg_db) as pg:
        indexes = {r[0]: r[1] for r in fetch(
            pg, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")}
        constraints = {r[0]: r[1] for r in fetch(
            pg, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace")}
        defaults = dict(fetch(pg, "SELECT column_name, column_default FROM "
                                  "information_schema.columns WHERE table_name = 'everything'"))
        identity = dict(fetch(pg, "SELECT table_name, is_identity FROM information_schema.columns "
                                  "WHERE column_name = 'id'"))
        new_owner = fetch(pg, "INSERT INTO public.owners (email) VALUES ('cy@example.org') "
                              "RETURNING id")[0][0]
        new_row = fetch(pg, "INSERT INTO public.everything (vc) VALUES ('new') "
                            "RETURNING id, status")[0]
        pg.rollback()
    assert "(d, ii)" in indexes["everything_by_day"]
    assert "(owner_id)" in indexes["everything_fk_owner_idx"]  # InnoDB's index for the FK
    assert constraints["everything_uq_vc"] == "UNIQUE (vc)"
    assert constraints["owners_uq_email"] == "UNIQUE (email)"
    fk = constraints["everything_fk_owner"]
    assert fk.startswith("FOREIGN KEY (owner_id) REFERENCES owners(id)") and \
        "ON DELETE SET NULL" in fk
    assert constraints["everything_positive_dc"] == "CHECK ((dc >= (0)::numeric))"
    assert "'small'" in constraints["everything_en_check"] and \
        "string_to_array" in constraints["everything_st_check"]
    assert defaults["status"] == "'new'::character varying"
    assert defaults["created"] == "CURRENT_TIMESTAMP"
    assert identity["owners"] == "YES" and defaults["id"].startswith("nextval(")
    assert new_owner == 3 and new_row == (Decimal(4), "new")


ZERO_TABLE = "CREATE TABLE visits (id int PRIMARY KEY, seen date NOT NULL, left_at datetime NULL)"


def test_zero_dates_stop_the_table_when_asked(pg_db, my_db, spark, tmp_path):
    with my_connect(my_db) as conn, conn.cursor() as cur:
        cur.execute(ZERO_TABLE)
        cur.execute("INSERT INTO visits VALUES (1, '2024-01-01', '0000-00-00 00:00:00'), "
                    "(2, '2024-01-02', NULL)")
        conn.commit()
    source = {**my_db, "options": {"zero_date": "error"}}
    task = write_task(tmp_path, source, pg_db, [selection(my_db["database"])])
    code = sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 1
    error = report["tables"][0]["Error"]
    assert "zero dates in column(s) left_at (1)" in error and "options.zero_date" in error
    with pg_connect(pg_db) as pg:
        assert fetch(pg, "SELECT to_regclass('public.visits')") == [(None,)]
