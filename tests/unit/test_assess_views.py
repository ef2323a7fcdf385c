"""Value normalisation and row comparison of converted views (sparkdms/assess/views.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from sparkdms.assess.views import canonical, differences, tables_read


def test_equal_values_of_different_driver_types_agree():
    pairs = [(3, Decimal("3.0000")), (True, 1), (0.5, Decimal("0.50")), (b"\x01", bytearray(b"\x01")),
             (datetime(2024, 1, 1, 12, tzinfo=UTC),
              datetime(2024, 1, 1, 14, tzinfo=timezone(timedelta(hours=2)))),
             ({"b": 1, "a": [1]}, {"a": [1], "b": 1})]
    for left, right in pairs:
        assert canonical(left) == canonical(right), (left, right)
    assert canonical(3) != canonical(Decimal("3.5")) and canonical(None) is None
    assert canonical("") != canonical(None)


def test_differences_count_both_ways_with_an_example():
    source = [(1, 3), (2, 3), (2, 3), (4, None)]
    target = [(1, Decimal("3.5")), (2, Decimal("3.000")), (4, None)]
    count, example = differences(source, target)
    assert count == 2 and example == "source (1, 3) vs target (1, 3.5)"
    assert differences(source, list(reversed(source))) == (0, "")


def test_tables_read_skips_ctes():
    sql = "WITH w AS (SELECT 1 AS x) SELECT * FROM `db`.`t` JOIN w ON TRUE JOIN `u` ON TRUE"
    assert tables_read(sql, "mariadb") == [("", "u"), ("db", "t")]
