"""Binlog values (as python-mysql-replication decodes them) -> the values the full load
reads (connectors/mysql/binlog_values.py). Columns are typed by the MariaDB dialect's own
type table, as discovery types them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sparkdms.connectors.mysql.binlog_values import RowConverter, ZeroDateError, time_text
from sparkdms.connectors.mysql.types import MARIADB

from sparkdms.catalog import Column, Table
from sparkdms.errors import TerminalError


def convert(native: str, value: Any, peer: str = "postgres", none_source: str = "") -> Any:
    col = Column("c", native, MARIADB.to_logical(native))
    row = RowConverter(Table("db", "t", (col,)), peer)({"c": value},
                                                       {"c": none_source} if none_source else {})
    return row["c"]


@pytest.mark.parametrize("native, decoded, expected", [
    ("int", -5, -5),
    ("bigint unsigned", 2**64 - 1, Decimal(2**64 - 1)),  # Spark's decimal(20,0)
    ("tinyint(1)", 1, True),
    ("tinyint(1)", 0, False),
    ("tinyint(4)", -128, -128),
    ("decimal(38,10)", Decimal("-1234567890123456789012345678.0000000001"),
     Decimal("-1234567890123456789012345678.0000000001")),
    # beyond 38 digits: the exact text (the full load carries it so)
    ("decimal(65,30)", Decimal("0.000000000000000000000000000000"),
     "0.000000000000000000000000000000"),
    ("decimal(65,30)", Decimal("-12345678901234567890123456789012345.1"),
     "-12345678901234567890123456789012345.1"),
    ("double", 1e-300, 1e-300),
    ("varchar(20)", "héllo ✓ 🚀", "héllo ✓ 🚀"),
    ("char(4)", "ab", "ab"),
    ("binary(4)", b"\x01", b"\x01\x00\x00\x00"),  # trailing zero bytes dropped by the binlog
    ("binary(2)", "", b"\x00\x00"),
    ("varbinary(8)", b"\x00\xff", b"\x00\xff"),
    ("blob", "", b""),
    ("datetime(6)", dt.datetime(2024, 2, 29, 1, 2, 3, 4), dt.datetime(2024, 2, 29, 1, 2, 3, 4)),
    ("timestamp(3)", dt.datetime(2038, 1, 19, 3, 14, 7, 500000),
     dt.datetime(2038, 1, 19, 3, 14, 7, 500000, tzinfo=dt.UTC)),
    ("timestamp", dt.datetime(1970, 1, 1), None),  # the zero timestamp
    ("date", dt.date(1000, 1, 1), dt.date(1000, 1, 1)),
    ("time(3)", dt.timedelta(hours=12, minutes=34, seconds=56, microseconds=789000),
     "12:34:56.789"),
    ("time", dt.timedelta(0), "00:00:00"),
    ("year", 2155, "2155"),
    ("year", 1900, "0000"),
    ("json", '{"a": [1, null]}', '{"a": [1, null]}'),  # MariaDB: the text as written
    ("json", {b"k": [1, b"\xc3\xbc", None]}, '{"k": [1, "ü", null]}'),  # MySQL binary JSON
    ("enum('a','b')", "b", "b"),
    ("set('red','green','blue')", {"blue", "red"}, "red,blue"),  # definition order
    ("bit(12)", "101000000001", "101000000001"),
    ("bit(8)", "1", "00000001"),
    ("uuid", b"\x12>Eg\xe8\x9b\x12\xd3\xa4VBf\x14\x17@", "123e4567-e89b-12d3-a456-426614174000"),
    ("uuid", "", "00000000-0000-0000-0000-000000000000"),
    ("inet4", b"\x0a", "10.0.0.0"),
    ("inet6", b"\x00" * 10 + b"\xff\xff\x01\x02\x03\x04", "::ffff:1.2.3.4"),
    ("inet6", b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x01", "2001:db8::1"),
])
def test_values(native: str, decoded: Any, expected: Any) -> None:
    got = convert(native, decoded)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("native, peer, decoded, expected", [
    # a TIME holding durations is an interval: MySQL's text for a MySQL peer, the fraction's
    # trailing zeros cut for another (PostgreSQL's interval text)
    ("time(6)", "mysql", dt.timedelta(hours=-838, minutes=-59, seconds=-59.5), "-838:59:59.500000"),
    ("time(6)", "postgres", dt.timedelta(hours=-838, minutes=-59, seconds=-59.5), "-838:59:59.5"),
    ("time(6)", "postgres", dt.timedelta(hours=100), "100:00:00"),
    ("point", "mysql", b"\x00\x00\x00\x00\x01\x01", b"\x00\x00\x00\x00\x01\x01"),
    ("point", "postgres", b"\x00\x00\x00\x00\x01\x01", b"\x01\x01"),  # WKB without the SRID
])
def test_peer_forms(native: str, peer: str, decoded: Any, expected: Any) -> None:
    col = Column("c", native, MARIADB.to_logical(native))
    if native.startswith("time"):
        col = Column("c", native, MARIADB.to_logical(native).with_(kind="interval"))
    assert RowConverter(Table("db", "t", (col,)), peer)({"c": decoded})["c"] == expected


@pytest.mark.parametrize("delta, fsp, text", [
    (dt.timedelta(seconds=-1, microseconds=500000), 1, "-00:00:00.5"),
    (dt.timedelta(hours=838, minutes=59, seconds=59), 0, "838:59:59"),
    (dt.timedelta(days=-35, seconds=3600, microseconds=500000), 3, "-838:59:59.500"),
    (dt.timedelta(microseconds=1), 6, "00:00:00.000001"),
])
def test_time_text(delta: dt.timedelta, fsp: int, text: str) -> None:
    assert time_text(delta, fsp) == text


def test_nulls_empty_sets_and_zero_dates() -> None:
    cols = tuple(Column(n, t, MARIADB.to_logical(t)) for n, t in
                 (("s", "set('a','b')"), ("d", "date"), ("n", "int")))
    table = Table("db", "t", cols)
    row = RowConverter(table)({"s": None, "d": None, "n": None},
                              {"s": "empty set", "d": "out of date range", "n": "null"})
    assert row == {"s": "", "d": None, "n": None}
    with pytest.raises(ZeroDateError, match=r"db\.t, column d.*zero_date"):
        RowConverter(table, zero_date="error")({"d": None}, {"d": "out of date range"})
    with pytest.raises(ZeroDateError, match="column d"):
        RowConverter(table, zero_date="error")({"d": None}, {"d": "out of datetime2 range"})
    assert RowConverter(table, zero_date="error")({"n": None}, {"n": "null"}) == {"n": None}


def test_columns_outside_the_catalog_pass_through_decoded() -> None:
    table = Table("db", "t", (Column("id", "int", MARIADB.to_logical("int")),))
    row = RowConverter(table)({"id": 1, "added": dt.timedelta(hours=1), "tags": {"b", "a"},
                               "raw": b"\x00"})
    assert row == {"id": 1, "added": "01:00:00", "tags": "a,b", "raw": b"\x00"}


def test_a_value_the_type_cannot_read_names_table_column_value() -> None:
    table = Table("db", "t", (Column("n", "int", MARIADB.to_logical("int")),))
    with pytest.raises(TerminalError, match=r"table db\.t, column n: binlog value 'abc'"):
        RowConverter(table)({"n": "abc"})
