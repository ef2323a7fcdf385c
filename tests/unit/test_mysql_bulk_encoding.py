"""Arrow batch -> MySQL LOAD DATA text (connectors/mysql/bulk.py): the text is read back
with LOAD DATA's own rules (fields by unescaped tab, lines by unescaped newline, ``\\``
escapes, ``\\N`` for NULL) and every value compared with what the batch holds."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from sparkdms.connectors.mysql import bulk
from sparkdms.connectors.mysql.connector import MariaDBConnector
from sparkdms.connectors.sql.spec import WriteSpec

from sparkdms.task import Endpoint

UNESCAPE = {"0": "\x00", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def read_back(text: bytes) -> list[list[str | None]]:
    """LOAD DATA's reading of FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED
    BY '\\n' (https://mariadb.com/kb/en/load-data-infile/)."""
    rows, fields, field, escaped, raw = [], [], [], False, text.decode()
    null = False
    for ch in raw:
        if escaped:
            escaped = False
            if ch == "N" and not field:
                null = True
            else:
                field.append(UNESCAPE.get(ch, ch))
        elif ch == "\\":
            escaped = True
        elif ch in "\t\n":
            fields.append(None if null else "".join(field))
            field, null = [], False
            if ch == "\n":
                rows.append(fields)
                fields = []
        else:
            field.append(ch)
    assert not field and not fields and not escaped, "the text must end with a newline"
    return rows


TEXTS = ["plain", "tab\there", "new\nline", "cr\r", "back\\slash", "\\N", "NULL", "nul\x00",
         "emoji 🚀😀", "", "ctrl-z \x1a", "\\t literal", None]
BYTES = [b"\x00\x09\x0a\x5c", b"", bytes(range(256)), b"\\N", None]
DECIMALS = [Decimal(0), Decimal("0.000000000000000001"), Decimal("-0.0000001"),
            Decimal("-12345678901234567890.123456789012345678"), Decimal("0.5"),
            Decimal("-1"), None]
FLOATS = [0.1, 1 / 3, -1.5e300, 2.2250738585072014e-308, 2.0 ** 60, -0.0, None]
STAMPS = [dt.datetime(2024, 2, 29, 23, 59, 59, 999999), dt.datetime(1, 1, 1),
          dt.datetime(999, 6, 15, 1, 2, 3, 4), None]
SPANS = [dt.timedelta(days=-1, seconds=3, microseconds=7), dt.timedelta(hours=838),
         dt.timedelta(0), dt.timedelta(microseconds=-1), None]


def parse_span(text: str) -> dt.timedelta:
    sign, h, m, s, us = re.fullmatch(r"(-?)(\d+):(\d\d):(\d\d)\.(\d{6})", text).groups()
    size = dt.timedelta(hours=int(h), minutes=int(m), seconds=int(s), microseconds=int(us))
    return -size if sign else size


# column -> (array, how the text reads back into the batch's Python value)
COLUMNS: dict[str, tuple[Any, Any]] = {
    "text": (pa.array(TEXTS), str),
    "large": (pa.array(TEXTS, pa.large_string()), str),
    "bin": (pa.array(BYTES, pa.binary()), bytes.fromhex),
    "lbin": (pa.array(BYTES, pa.large_binary()), bytes.fromhex),
    "dec": (pa.array(DECIMALS, pa.decimal128(38, 18)), Decimal),
    "dbl": (pa.array(FLOATS), float),
    "i8": (pa.array([-128, 127, 0, None], pa.int8()), int),
    "i64": (pa.array([-2 ** 63, 2 ** 63 - 1, None]), int),
    "flag": (pa.array([True, False, None]), lambda t: {"1": True, "0": False}[t]),
    "day": (pa.array([dt.date(1, 1, 1), dt.date(9999, 12, 31), None]), dt.date.fromisoformat),
    "naive": (pa.array(STAMPS, pa.timestamp("us")), dt.datetime.fromisoformat),
    "utc": (pa.array(STAMPS, pa.timestamp("us", tz="UTC")),
            lambda t: dt.datetime.fromisoformat(t).replace(tzinfo=dt.UTC)),
    "ms": (pa.array(STAMPS[:1], pa.timestamp("ms")), dt.datetime.fromisoformat),
    "span": (pa.array(SPANS, pa.duration("us")), parse_span),
    "tod": (pa.array([dt.time(23, 59, 59, 999999), None], pa.time64("us")),
            dt.time.fromisoformat),
    "none": (pa.nulls(3), str),
}


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_each_value_reads_back_as_the_batch_holds_it(name):
    array, parse = COLUMNS[name]
    batch = pa.record_batch({"id": pa.array(range(len(array))), name: array})
    rows = read_back(bytes(bulk.text_bytes(bulk.encode(batch))))
    assert [int(r[0]) for r in rows] == list(range(len(array)))
    expected = array.to_pylist()
    got = [None if r[1] is None else parse(r[1]) for r in rows]
    assert got == expected


def test_text_forms_are_those_mysql_reads_exactly():
    """The forms the target parses: plain decimals with the column's scale (never 0E-18),
    float32 widened to the double the INSERT sends, six fractional digits, hex digits."""
    batch = pa.record_batch({
        "dec": pa.array([Decimal(0), Decimal("-0.0000001")], pa.decimal128(20, 18)),
        "f32": pa.array([0.1, 1.5], pa.float32()),
        "ts": pa.array([dt.datetime(2024, 1, 1), None], pa.timestamp("us")),
        "bin": pa.array([b"\x00\x09\x0a\x5c", b"\xff"]),
    })
    assert bytes(bulk.text_bytes(bulk.encode(batch))).decode().splitlines() == [
        "0.000000000000000000\t0.10000000149011612\t2024-01-01 00:00:00.000000\t00090A5C",
        "-0.000000100000000000\t1.5\t\\N\tFF"]


def test_a_slice_encodes_as_its_rows():
    """Batches are slices of bigger ones (the writer cuts them at CommitRate): offsets."""
    batch = pa.record_batch({name: arr.slice(len(arr) - 3) for name, (arr, _) in COLUMNS.items()
                             if len(arr) >= 3})
    whole = bytes(bulk.text_bytes(bulk.encode(batch))).split(b"\n")
    for start in range(3):
        part = bytes(bulk.text_bytes(bulk.encode(batch.slice(start, 1))))
        assert part == whole[start] + b"\n"


@pytest.mark.parametrize(("arrow", "target", "loadable", "setting"), [
    (pa.string(), "point", False, None),  # geometry: the INSERT path's business
    (pa.string(), "enum", True, None),
    (pa.string(), "int", True, None),
    (pa.binary(), "blob", True, "UNHEX({v})"),
    (pa.binary(), "text", False, None),
    (pa.decimal128(20, 0), "bit", True, "CAST({v} AS UNSIGNED)"),  # BIT takes text as bytes
    (pa.int32(), "year", False, None),  # 0 is year 0000 as a number, 2000 as text
    (pa.int32(), "enum", False, None),  # a number is an enum's index
    (pa.float64(), "varchar", False, None),  # 0.1e0 and 0.1: the text could differ
    (pa.float32(), "double", True, None),
    (pa.timestamp("us", tz="UTC"), "varchar", False, None),  # the INSERT drops .000000
    (pa.timestamp("us", tz="UTC"), "datetime", True, None),
    (pa.duration("us"), "time", True, None),
    (pa.list_(pa.int32()), "json", False, None),
    (pa.null(), "point", True, None),
])
def test_which_columns_load_and_how(arrow, target, loadable, setting):
    assert bulk.column_setting(arrow, target) == (loadable, setting)


def test_the_statement_quotes_names_and_binds_only_the_file():
    ep = Endpoint(role="target", engine="mariadb", host="h", port=1, database="d", user="u")
    connector = MariaDBConnector(ep)
    spec = WriteSpec(MariaDBConnector, ep, "d", "t__sdms_1", ("a%b", "we`ird", "blob"), "l",
                     "t", 10, "d")
    sql = bulk.load_sql(connector, spec, [None, None, bulk.UNHEX])
    assert sql.startswith("LOAD DATA LOCAL INFILE %s INTO TABLE `d`.`t__sdms_1` ")
    assert "(`a%%b`, `we``ird`, @sdms_v2) SET `blob` = UNHEX(@sdms_v2)" in sql
    assert sql.count("%s") == 1


def test_bulk_load_is_a_boolean_option():
    from sparkdms.errors import TaskConfigError

    base = {"role": "target", "engine": "mariadb", "host": "h", "port": 1, "database": "d",
            "user": "u"}
    MariaDBConnector.check_endpoint(Endpoint(**base, options={"bulk_load": False}))
    with pytest.raises(TaskConfigError, match="bulk_load"):
        MariaDBConnector.check_endpoint(Endpoint(**base, options={"bulk_load": "no"}))
