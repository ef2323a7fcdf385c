"""add-column expressions: AWS DMS's SQLite syntax in, Spark SQL out (the Spark results are
checked against SQLite itself in tests/integration/test_mapping_expressions_spark.py)."""

from __future__ import annotations

import pytest

from sparkdms.plan.mapping.expressions import Scope, Untranslatable, compile_expression, render
from sparkdms.types import LType

COLUMNS = {
    "FIRST_NAME": LType("varchar", length=20), "LAST_NAME": LType("text"),
    "n": LType("int32"), "m": LType("int64"), "price": LType("decimal", precision=10, scale=2),
    "ratio": LType("float64"), "d": LType("date"), "ts": LType("timestamp", precision=6),
    "b": LType("blob"), "flag": LType("boolean"),
}
SCOPE = Scope(COLUMNS, "Test", "ITEM")
TS = "CAST(`ts` AS TIMESTAMP)"
LOW = "translate"
AZ = ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'"


@pytest.mark.parametrize(("sqlite", "spark"), [
    # AWS's documented example
    ("$FIRST_NAME||'_'||$LAST_NAME", "concat(`FIRST_NAME`, '_', `LAST_NAME`)"),
    # concatenation makes numbers and booleans text first (booleans as 1/0, as SQLite)
    ("$n || '-' || $flag", "concat(CAST(`n` AS STRING), '-', CAST(CAST(`flag` AS INT) AS STRING))"),
    ("concat($FIRST_NAME, $n)", "concat_ws('', `FIRST_NAME`, CAST(`n` AS STRING))"),
    # arithmetic: integer division for integers, NULL on division by zero
    ("$n + $m * 2 - 1", "((`n` + (`m` * 2)) - 1)"),
    ("$n / $m", "(CASE WHEN `m` = 0 THEN NULL ELSE `n` DIV `m` END)"),
    ("$price / 3", "try_divide(`price`, 3)"),
    ("$n / 2.0", "try_divide(`n`, 2.0)"),
    ("$n % 3", "(CASE WHEN 3 = 0 THEN NULL ELSE `n` % 3 END)"),
    ("$ratio % 2", "(CASE WHEN 2 = 0 THEN NULL ELSE CAST(`ratio` AS BIGINT) % 2 END)"),
    ("-$n", "(- `n`)"),
    # comparison and logic
    ("$n >= 1 AND $n <> 5 OR $n IS NULL",
     "(((`n` >= 1) AND (`n` <> 5)) OR (`n` IS NULL))"),
    ("$n == 1", "(`n` = 1)"),
    ("$n IS NOT NULL", "(NOT (`n` IS NULL))"),
    ("$n IS 3", "(`n` <=> 3)"),
    ("$n IS NOT $m", "(NOT (`n` <=> `m`))"),
    ("$n BETWEEN 1 AND 5", "(`n` BETWEEN 1 AND 5)"),
    ("$n NOT IN (1, 2)", "(NOT (`n` IN (1, 2)))"),
    # LIKE ignores the case of ASCII letters only
    ("$FIRST_NAME LIKE 'j%'", f"({LOW}(`FIRST_NAME`{AZ}) LIKE {LOW}('j%'{AZ}))"),
    ("$FIRST_NAME NOT LIKE 'j%'", f"(NOT ({LOW}(`FIRST_NAME`{AZ}) LIKE {LOW}('j%'{AZ})))"),
    ("$FIRST_NAME LIKE 'a!%%' ESCAPE '!'",
     f"({LOW}(`FIRST_NAME`{AZ}) LIKE {LOW}('a!%%'{AZ}) ESCAPE '!')"),
    ("$FIRST_NAME GLOB 'J*[0-9]?'", "(`FIRST_NAME` RLIKE '(?s)^J.*[0-9].$')"),
    ("NOT $n", "(NOT (`n` <> 0))"),
    # CASE, COALESCE / IFNULL, NULLIF, IIF, scalar max/min
    ("CASE WHEN $n > 10 THEN 'big' WHEN $n > 5 THEN 'mid' ELSE 'small' END",
     "(CASE WHEN (`n` > 10) THEN 'big' WHEN (`n` > 5) THEN 'mid' ELSE 'small' END)"),
    ("CASE $n WHEN 1 THEN 'one' END", "(CASE `n` WHEN 1 THEN 'one' END)"),
    ("CASE WHEN $n THEN 1 END", "(CASE WHEN (`n` <> 0) THEN 1 END)"),
    ("COALESCE($FIRST_NAME, $LAST_NAME, 'none')",
     "coalesce(`FIRST_NAME`, `LAST_NAME`, 'none')"),
    ("IFNULL($n, 0)", "coalesce(`n`, 0)"),
    ("NULLIF($n, 0)", "nullif(`n`, 0)"),
    ("iif($n > 1, 'y', 'n')", "IF((`n` > 1), 'y', 'n')"),
    ("max($n, $m)", "(CASE WHEN `n` IS NULL OR `m` IS NULL THEN NULL ELSE greatest(`n`, `m`) END)"),
    ("min($n, 3)", "(CASE WHEN `n` IS NULL OR 3 IS NULL THEN NULL ELSE least(`n`, 3) END)"),
    # text functions (upper/lower: ASCII letters only, as SQLite's built-ins)
    ("UPPER($FIRST_NAME)",
     "translate(`FIRST_NAME`, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"),
    ("lower($LAST_NAME)",
     "translate(`LAST_NAME`, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"),
    ("TRIM($LAST_NAME)", "trim(BOTH FROM `LAST_NAME`)"),
    ("trim($LAST_NAME, 'xy')", "trim(BOTH 'xy' FROM `LAST_NAME`)"),
    ("ltrim($LAST_NAME)", "trim(LEADING FROM `LAST_NAME`)"),
    ("rtrim($LAST_NAME, '.')", "trim(TRAILING '.' FROM `LAST_NAME`)"),
    ("SUBSTR($FIRST_NAME, 2, 3)", "substring(`FIRST_NAME`, 2, 3)"),
    ("substr($n, 2)", "substring(CAST(`n` AS STRING), 2)"),
    ("substr($b, 1, 4)", "substring(`b`, 1, 4)"),
    ("LENGTH($FIRST_NAME)", "char_length(`FIRST_NAME`)"),
    ("length($b)", "length(`b`)"),
    ("length($price)", "char_length(CAST(`price` AS STRING))"),
    ("REPLACE($FIRST_NAME, 'a', 'b')", "replace(`FIRST_NAME`, 'a', 'b')"),
    ("instr($FIRST_NAME, 'x')", "instr(`FIRST_NAME`, 'x')"),
    ("hex($b)", "coalesce(hex(`b`), '')"),  # SQLite: hex(NULL) is ''
    ("hex($n)", "coalesce(hex(CAST(`n` AS STRING)), '')"),
    ("'it''s'", "'it\\'s'"),
    ("'back\\slash'", "'back\\\\slash'"),
    # numbers
    ("ROUND($price, 1)", "round(`price`, 1)"),
    ("round($ratio)", "round(`ratio`, 0)"),
    ("ABS($n)", "abs(`n`)"),
    ("log($ratio)", "log10(`ratio`)"),
    ("log(2, $ratio)", "log(2, `ratio`)"),
    ("power($n, 2)", "power(`n`, 2)"),
    # CAST by SQLite type affinity
    ("CAST($FIRST_NAME AS INTEGER)",  # SQLite: the longest numeric prefix, else 0
     "CAST(IF(`FIRST_NAME` IS NULL, NULL, coalesce(nullif(regexp_extract(`FIRST_NAME`, "
     "'^\\\\s*([+-]?[0-9]+)', 1), ''), '0')) AS BIGINT)"),
    ("CAST($n AS INTEGER)", "CAST(`n` AS BIGINT)"),
    ("CAST($n AS TEXT)", "CAST(`n` AS STRING)"),
    ("CAST($n AS VARCHAR(3))", "CAST(`n` AS STRING)"),
    ("CAST($n AS REAL)", "CAST(`n` AS DOUBLE)"),
    ("CAST($ratio AS NUMERIC(10,3))", "CAST(`ratio` AS DECIMAL(10,3))"),
    ("CAST($ratio AS NUMERIC)", "CAST(`ratio` AS DECIMAL(38,18))"),
    ("CAST($FIRST_NAME AS BLOB)", "CAST(`FIRST_NAME` AS BINARY)"),
    ("CAST($FIRST_NAME AS DATE)", "CAST(`FIRST_NAME` AS DATE)"),
    # date and time: SQLite's text forms
    ("datetime('now')", "date_format(current_timestamp(), 'yyyy-MM-dd HH:mm:ss')"),
    ("date('now')", "date_format(current_timestamp(), 'yyyy-MM-dd')"),
    ("date()", "date_format(current_timestamp(), 'yyyy-MM-dd')"),
    ("time('now')", "date_format(current_timestamp(), 'HH:mm:ss')"),
    ("CURRENT_TIMESTAMP", "date_format(current_timestamp(), 'yyyy-MM-dd HH:mm:ss')"),
    ("date($ts)", f"date_format({TS}, 'yyyy-MM-dd')"),
    ("datetime($d)", "date_format(CAST(`d` AS TIMESTAMP), 'yyyy-MM-dd HH:mm:ss')"),
    ("date($FIRST_NAME)", "date_format(try_cast(`FIRST_NAME` AS TIMESTAMP), 'yyyy-MM-dd')"),
    ("date($ts, '+1 day')", f"date_format(({TS} + make_interval(0, 0, 0, +1, 0, 0, 0)), "
                            "'yyyy-MM-dd')"),
    ("datetime($ts, '-3 hours', '+1 months')",
     f"date_format((({TS} + make_interval(0, 0, 0, 0, -3, 0, 0)) + make_interval(0, +1, 0, 0, "
     "0, 0, 0)), 'yyyy-MM-dd HH:mm:ss')"),
    ("date($ts, 'start of month')", f"date_format(date_trunc('MONTH', {TS}), 'yyyy-MM-dd')"),
    ("datetime($n, 'unixepoch')",
     "date_format(timestamp_seconds(`n`), 'yyyy-MM-dd HH:mm:ss')"),
    ("strftime('%Y-%m-%d', $ts)", f"date_format({TS}, 'yyyy\\'-\\'MM\\'-\\'dd')"),
    ("strftime('%H:%M:%f', $ts)", f"date_format({TS}, 'HH\\':\\'mm\\':\\'ss.SSS')"),
    ("strftime('%s', $ts)", f"CAST(unix_seconds({TS}) AS STRING)"),
    ("strftime('%Y week day %w', $ts)",
     f"concat(date_format({TS}, 'yyyy\\' week day \\''), CAST(dayofweek({TS}) - 1 AS STRING))"),
    ("strftime('%j %%', 'now')", "date_format(current_timestamp(), 'DDD\\' %\\'')"),
    ("julianday($ts)", f"(unix_micros({TS}) / 86400000000D + 2440587.5D)"),
    # header columns and the operation indicator of a full load
    ("$AR_M_SOURCE_SCHEMA || '.' || $AR_M_SOURCE_TABLE_NAME", "concat('Test', '.', 'ITEM')"),
    ("operation_indicator('D', 'U', 'I')", "'I'"),
    ("$AR_H_OPERATION", "'INSERT'"),
    ("$AR_H_TIMESTAMP", "date_format(current_timestamp(), 'yyyy-MM-dd HH:mm:ss')"),
    ("$AR_H_STREAM_POSITION || $AR_H_CHANGE_SEQ", "concat('', '')"),
    ("$AR_H_DB_COMMIT_TIMESTAMP", "NULL"),
    ("NULL", "NULL"),
    ("X'00ff'", "X'00ff'"),
])
def test_translation(sqlite: str, spark: str) -> None:
    assert render(compile_expression(sqlite), SCOPE) == spark


def test_columns_read_in_order_of_appearance() -> None:
    assert compile_expression("$LAST_NAME || $FIRST_NAME || $LAST_NAME").columns == \
        ("LAST_NAME", "FIRST_NAME")
    assert compile_expression("$AR_M_SOURCE_SCHEMA || $n").columns == ("n",)


@pytest.mark.parametrize(("sqlite", "words"), [
    ("printf('%d', $n)", "function printf()"),
    ("random()", "function random()"),
    ("typeof($n)", "function typeof()"),
    ("count(*)", "function count()"),
    ("max($n)", "function max()"),
    ("$n IN (SELECT 1)", "IN with a subquery"),
    ("$AR_H_NOPE", "header $AR_H_NOPE (supported: $AR_M_SOURCE_SCHEMA"),
    ("strftime('%W', $ts)", "strftime format %W"),
    ("strftime($FIRST_NAME, $ts)", "a strftime format that is not a text literal"),
    ("date($ts, 'localtime')", "date/time modifier 'localtime'"),
    ("date($ts, '+1.5 days')", "fractional days"),
    ("$FIRST_NAME GLOB $LAST_NAME", "GLOB with a pattern that is not a text literal"),
    ("CAST($n AS WIDGET)", "CAST to WIDGET"),
    ("$n = 'x' COLLATE NOCASE", "COLLATE"),
    ("FIRST_NAME", "columns are written $NAME"),
    ('"FIRST_NAME"', "columns are written $NAME"),
    ("$ITEM.FIRST_NAME", "columns are written $NAME"),
    ("$a, $b", "single expression"),
    ("1; DROP TABLE x", "single expression"),
    ("", "empty"),
    ("$n +", "not valid SQLite syntax"),
])
def test_untranslatable_constructs_are_named(sqlite: str, words: str) -> None:
    with pytest.raises(Untranslatable) as err:
        compile_expression(sqlite)
    assert words in str(err.value)


@pytest.mark.parametrize(("sqlite", "words"), [
    ("$nope", "column $nope does not exist in Test.ITEM"),
    ("$first_name", "did you mean $FIRST_NAME?"),
    ("date($n)", "a number as time value (Julian day); add the 'unixepoch' modifier"),
])
def test_columns_are_checked_against_the_table(sqlite: str, words: str) -> None:
    compiled = compile_expression(sqlite)  # unknown when the task is read
    with pytest.raises(Untranslatable) as err:
        render(compiled, SCOPE)
    assert words in str(err.value)
