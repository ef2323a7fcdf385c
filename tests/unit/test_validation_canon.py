"""Canonical renderings: what each renderer computes per value kind, and when it declines."""

from __future__ import annotations

import pytest
from sparkdms.connectors.mysql.validation import MySQLRenderer
from sparkdms.connectors.postgres.validation import PostgresRenderer

from sparkdms.types import LType
from sparkdms.validate.canon import SparkRenderer, frac_len, spark_ltype
from sparkdms.validate.columns import ColumnSpec

PG = PostgresRenderer(lambda n: f'"{n}"')
MY = MySQLRenderer(lambda n: f"`{n}`")
SP = SparkRenderer()


def spec(kind: str, **kw) -> ColumnSpec:
    planned = kw.pop("planned", LType("text"))
    return ColumnSpec("c", kind, "c", planned, planned, planned, **kw)


@pytest.mark.parametrize(("dialect", "kind", "phys", "kw", "expected"), [
    (PG, "int", LType("int64"), {}, 'CAST("c" AS text)'),
    (PG, "int", LType("decimal", precision=20, scale=0), {}, 'CAST("c" AS text)'),
    (PG, "dec", LType("decimal", precision=12, scale=2), {},
     'CAST(trim_scale(CAST("c" AS numeric)) AS text)'),
    (PG, "dec", LType("decimal", precision=12, scale=4), {"scale": 2},
     'CAST(trim_scale(round(CAST("c" AS numeric), 2)) AS text)'),
    (PG, "bool", LType("boolean"), {}, """CASE WHEN "c" THEN '1' WHEN NOT "c" THEN '0' END"""),
    (PG, "char", LType("char", length=10), {"trim": True}, """rtrim(CAST("c" AS text), ' ')"""),
    (PG, "str", LType("varchar", length=10), {"empty_is_null": True}, """NULLIF(CAST("c" AS text), '')"""),
    (PG, "date", LType("date"), {}, """to_char("c", 'YYYY-MM-DD')"""),
    (PG, "ts", LType("timestamp", precision=6), {"digits": 6},
     """to_char("c", 'YYYY-MM-DD HH24:MI:SS.US')"""),
    (PG, "ts", LType("timestamp", precision=3), {"digits": 3},
     """left(to_char("c", 'YYYY-MM-DD HH24:MI:SS.US'), 23)"""),
    (PG, "uuid", LType("uuid"), {}, 'CAST("c" AS text)'),
    (PG, "json", LType("json"), {}, 'CAST("c" AS text)'),
    (MY, "int", LType("boolean"), {}, "CAST(`c` AS CHAR)"),
    (MY, "bool", LType("boolean"), {}, "CASE WHEN `c` THEN '1' WHEN NOT `c` THEN '0' END"),
    (MY, "bool", LType("int8"), {}, "CASE WHEN `c` IS NULL THEN NULL WHEN `c` <> 0 THEN '1' ELSE '0' END"),
    (MY, "str", LType("varchar", length=5), {}, "CONVERT(`c` USING utf8mb4) COLLATE utf8mb4_bin"),
    (MY, "char", LType("char", length=5), {"trim": True},
     "TRIM(TRAILING ' ' FROM CONVERT(`c` USING utf8mb4) COLLATE utf8mb4_bin)"),
    (MY, "date", LType("date"), {}, "DATE_FORMAT(`c`, '%Y-%m-%d')"),
    (MY, "time", LType("time", precision=6), {"digits": 6}, "TIME_FORMAT(`c`, '%H:%i:%s.%f')"),
    (MY, "bit", LType("bit", length=4), {}, "BIN(`c` + 0)"),
    (SP, "dec", LType("decimal", precision=12, scale=2), {},
     "regexp_replace(regexp_replace(CAST(`c` AS STRING), '([.][0-9]*?)0+$', '$1'), '[.]$', '')"),
    (SP, "ts", LType("timestamptz"), {"digits": 6}, "date_format(`c`, 'yyyy-MM-dd HH:mm:ss.SSSSSS')"),
    (SP, "json", LType("text"), {}, "coalesce(to_json(try_parse_json(`c`)), `c`)"),
    (SP, "str", LType("text"), {}, "`c`"),
    (SP, "str", LType("int32"), {}, "CAST(`c` AS STRING)"),
])
def test_renderings(dialect, kind, phys, kw, expected):
    ref = dialect.quote("c")
    assert dialect.render(spec(kind, **kw), ref, phys, "source") == expected


@pytest.mark.parametrize(("dialect", "kind", "phys"), [
    (PG, "int", LType("float64")),  # a float where an integer is planned: Spark converts
    (PG, "date", LType("timestamp")),
    (PG, "bin", LType("text")),
    (MY, "dec", LType("float64")),
    (MY, "ts", LType("date")),
    (SP, "bin", LType("text")),
    (PG, "dec", None),  # column missing on that side
])
def test_unknown_physical_types_fall_back(dialect, kind, phys):
    assert dialect.render(spec(kind), dialect.quote("c"), phys, "source") is None


def test_decimal_rounding_applies_to_the_source_only():
    s = spec("dec", scale=2)
    assert "round(" in PG.render(s, '"c"', LType("decimal", precision=12, scale=4), "source")
    assert "round(" not in PG.render(s, '"c"', LType("decimal", precision=12, scale=4), "target")
    assert "ROUND(" in MY.render(s, "`c`", LType("decimal", precision=12, scale=4), "source")
    # text cannot be rounded in SQL: Spark does it
    assert MY.render(s, "`c`", LType("text"), "source") is None


@pytest.mark.parametrize("dialect", [PG, MY, SP])
def test_float_rendering_has_every_guard(dialect):
    sql = dialect.render(spec("float", digits=15), dialect.quote("c"), LType("float64"), "source")
    assert "IS NULL THEN NULL" in sql and "= 0 THEN '0'" in sql
    assert "BETWEEN 0 AND 22" in sql and "BETWEEN -22 AND -1" in sql  # exact powers of ten only
    assert "(14 - " in sql  # 15 significant digits
    if dialect is not MY:  # MariaDB stores no NaN or infinity
        assert "'NaN'" in sql and "'Inf'" in sql


def test_string_parts_carry_their_length_and_null_mark():
    s = spec("str")
    assert PG.part(s, "v") == "COALESCE((CAST(length(v) AS text) || ':' || v), '#')"
    assert MY.part(s, "v") == "COALESCE(CONCAT(CAST(CHAR_LENGTH(v) AS CHAR), ':', v), '#')"
    assert PG.part(spec("int"), "v") == "COALESCE(v, '#')"
    assert PG.row_text(["a", "b"]) == "(a || '|' || b)"
    assert SP.row_text(["a", "b"]) == "concat_ws('|', a, b)"


def test_hashes():
    assert PG.hash60("t") == "CAST(CAST('x' || substr(md5(t), 1, 15) AS bit(60)) AS bigint)"
    assert MY.hash60("t") == "CAST(CONV(SUBSTR(MD5(t), 1, 15), 16, 10) AS UNSIGNED)"
    assert SP.hash60("t") == "CAST(conv(substr(md5(t), 1, 15), 16, 10) AS BIGINT)"
    assert PG.fast_hash("t") == "hashtextextended(t, 0)"
    assert MY.fast_hash is None


@pytest.mark.parametrize(("base", "digits", "expected"), [(19, 6, None), (19, None, None),
                                                           (19, 3, 23), (19, 0, 19), (8, 2, 11)])
def test_fraction_cut(base, digits, expected):
    assert frac_len(base, digits) == expected


def test_spark_types_map_to_logical_kinds():
    from pyspark.sql import types as T

    assert spark_ltype(T.DecimalType(12, 2)) == LType("decimal", precision=12, scale=2)
    assert spark_ltype(T.TimestampNTZType()).kind == "timestamp"
    assert spark_ltype(T.TimestampType()).kind == "timestamptz"
    assert spark_ltype(T.FloatType()).kind == "float32"
    assert spark_ltype(T.ArrayType(T.IntegerType())).kind == "text"

