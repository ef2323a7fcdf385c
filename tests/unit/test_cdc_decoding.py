"""PostgreSQL test_decoding lines (as the server prints them) -> changes and values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sparkdms.connectors.postgres.changes import (
    TOAST,
    ChangeSourceError,
    convert,
    lsn_int,
    lsn_text,
    parse_change,
    parse_truncate,
    slot_name,
)

# lines copied from a PostgreSQL 15 server (psql, SET TimeZone UTC)
ODD = ('table public."Odd Name": INSERT: id[integer]:1 "we""ird"[text]:\'it\'\'s a\\b [x]:y\' '
       "ts[timestamp with time zone]:'2024-01-01 08:00:00+00' b[bytea]:'\\x00ff' "
       "n[numeric]:1.50 f[double precision]:NaN arr[integer[]]:'{1,2}' d[date]:'2024-02-29'")
KEYED = ('table public."Odd Name": UPDATE: old-key: id[integer]:1 new-tuple: id[integer]:2 '
         "n[numeric]:null t[text]:unchanged-toast-datum")


def test_an_insert_with_quoted_names_and_every_literal_form() -> None:
    op, schema, table, before, after = parse_change(ODD)
    assert (op, schema, table, before) == ("insert", "public", "Odd Name", None)
    assert after == {"id": ("integer", "1"), 'we"ird': ("text", "it's a\\b [x]:y"),
                     "ts": ("timestamp with time zone", "2024-01-01 08:00:00+00"),
                     "b": ("bytea", "\\x00ff"), "n": ("numeric", "1.50"),
                     "f": ("double precision", "NaN"), "arr": ("integer[]", "{1,2}"),
                     "d": ("date", "2024-02-29")}


def test_an_update_that_changes_the_key_carries_the_old_key() -> None:
    op, _, _, before, after = parse_change(KEYED)
    assert op == "update"
    assert before == {"id": ("integer", "1")}
    assert after == {"id": ("integer", "2"), "n": ("numeric", None), "t": ("text", TOAST)}


def test_a_delete_carries_the_key_and_one_without_it_stops() -> None:
    assert parse_change("table s.t: DELETE: id[bigint]:7")[3] == {"id": ("bigint", "7")}
    with pytest.raises(ChangeSourceError, match=r"s\.t: a delete without its key"):
        parse_change("table s.t: DELETE: (no-tuple-data)")


def test_truncate_of_several_tables() -> None:
    assert parse_truncate('table public.a, "My S"."b.c": TRUNCATE: restart_seqs') == \
        [("public", "a"), ("My S", "b.c")]


@pytest.mark.parametrize(("kind", "text", "value"), [
    ("int64", "-9223372036854775808", -9223372036854775808),
    ("decimal", "12345678901234567890.123456789012345678",
     Decimal("12345678901234567890.123456789012345678")),
    ("float64", "NaN", "nan"),
    ("boolean", "true", True),
    ("date", "0999-06-15", date(999, 6, 15)),
    ("timestamp", "2024-02-29 23:59:59.5", datetime(2024, 2, 29, 23, 59, 59, 500000)),
    ("timestamptz", "2024-02-29 18:29:59.999999+00",
     datetime(2024, 2, 29, 18, 29, 59, 999999, tzinfo=UTC)),
    ("timestamptz", "2026-12-02 07:01:38.5833+05:30",
     datetime(2026, 12, 2, 1, 31, 38, 583300, tzinfo=UTC)),
    ("blob", "\\x00ff", b"\x00\xff"),
    ("text", "Zoë 李雷 🚀", "Zoë 李雷 🚀"),
    ("json", '{"a": 1}', '{"a": 1}'),
    ("int32", None, None),
])
def test_values_as_the_full_load_reads_them(kind: str, text: str | None, value: object) -> None:
    got = convert(kind, text, "t.c")
    assert (str(got) if value == "nan" else got) == value


def test_a_value_that_does_not_read_names_table_and_column() -> None:
    with pytest.raises(ChangeSourceError, match=r"public\.t\.d: value 'infinity' cannot be read"):
        convert("date", "infinity", "public.t.d")


def test_positions_and_slot_names() -> None:
    assert lsn_int("5/81A34F0") > lsn_int("5/81A3388") > lsn_int("4/FFFFFFFF")
    assert lsn_text(lsn_int("5/81A34F0")) == "5/81A34F0"
    name = slot_name("t_db", "My Task!")
    assert name.startswith("sdms_my_task__") and len(name) <= 63
    assert name != slot_name("t_other", "My Task!")
