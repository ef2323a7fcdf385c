"""Row-level judgement: texts, floats within tolerance, JSON by structure."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sparkdms.validate.values import describe, float_value, same, show


@pytest.mark.parametrize(("kind", "a", "b", "digits", "equal"), [
    ("str", "a", "a", None, True),
    ("str", "a", "a ", None, False),
    ("str", "", None, None, False),
    ("dec", "12.5", "12.50", None, False),  # canonical texts are already trimmed: differ = differ
    ("float", "150000000000000e0", "150000000000000e0", 15, True),
    ("float", "150000000000000e0", "150000000000001e0", 15, True),  # one unit in the last digit
    ("float", "150000000000000e0", "150000000000002e0", 15, False),
    ("float", "999999999999999e2", "100000000000000e3", 15, True),  # exponent chosen differently
    ("float", "1000000e-1", "1000001e-1", 7, True),
    ("float", "1000000e-1", "1000010e-1", 7, False),
    ("float", "NaN", "NaN", 15, True),
    ("float", "NaN", "0", 15, False),
    ("float", "Inf", "-Inf", 15, False),
    ("json", '{"b": 1, "a": [1, 2.50]}', '{"a":[1,2.5],"b":1}', None, True),
    ("json", '{"a": 1e2}', '{"a": 100}', None, True),
    ("json", '{"a": 1}', '{"a": "1"}', None, False),
    ("json", '{"a": 1}', "not json", None, False),
])
def test_same(kind, a, b, digits, equal):
    assert same(kind, a, b, digits) is equal
    assert same(kind, b, a, digits) is equal


def test_float_text_reads_back():
    assert float_value("150000000000000e0", 15) == Decimal("1.5")
    assert float_value("-123456700000000e-3", 15) == Decimal("-0.001234567")
    assert float_value("0", 15) is None
    assert show("float", "150000000000000e0", 15) == "1.5"
    assert show("float", "100000000000000e300", 15) == "1E+300"


def test_long_values_are_cut_with_the_first_difference():
    a, b = "x" * 500 + "a", "x" * 500 + "b"
    d = describe("str", a, b, None)
    assert d["first_difference_at"] == 500
    assert d["source"].endswith("(501 chars)") and len(d["source"]) < 160
    assert describe("str", "a", None, None) == {"source": "a", "target": None}
