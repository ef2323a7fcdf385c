"""Object-locator wildcards, as AWS DMS documents them: % any run, _ one character, [_] a
literal underscore, bracket sets; case-sensitive."""

from __future__ import annotations

import pytest

from sparkdms.plan.mapping.wildcard import has_wildcard, matches


@pytest.mark.parametrize(("pattern", "name", "expected"), [
    ("%", "anything", True),
    ("%", "", True),
    ("DMS%", "DMS_orders", True),  # AWS example: exclude tables starting with DMS
    ("DMS%", "dms_orders", False),  # names are case-sensitive
    ("DMS%", "xDMS", False),
    ("view_DMS%", "view_DMS_sales", True),
    ("col%", "col1", True),
    ("col%", "xcol1", False),
    ("%_log", "app_log", True),
    ("t_p", "tmp", True),  # _ is one character
    ("t_p", "tp", False),
    ("t_p", "tmmp", False),
    ("tmp[_]%", "tmp_scratch", True),  # [_] is a literal underscore
    ("tmp[_]%", "tmpXscratch", False),
    ("a[%]b", "a%b", True),
    ("a[%]b", "axb", False),
    ("sales_20[12][0-9]", "sales_2019", True),
    ("sales_20[12][0-9]", "sales_2031", False),
    ("t[abc]", "tb", True),
    ("t[abc]", "td", False),
    ("t[a-c]", "tc", True),
    ("t[^a-c]", "td", True),
    ("t[^a-c]", "ta", False),
    ("t[!a-c]", "td", True),
    ("t[!a-c]", "tb", False),
    ("a.b", "a.b", True),  # regex characters are literal
    ("a.b", "axb", False),
    ("a+b*", "a+b*", True),
    ("t[]", "t[]", True),  # an empty or unclosed bracket is literal
    ("t[ab", "t[ab", True),
    ("t[]]", "t]", True),
    ("Ünïcode%", "Ünïcode_tbl", True),
])
def test_wildcards(pattern: str, name: str, expected: bool) -> None:
    assert matches(pattern, name) is expected


@pytest.mark.parametrize(("pattern", "expected"), [
    ("orders", False), ("order%", True), ("ord_r", True), ("tmp[_]x", True),
])
def test_has_wildcard(pattern: str, expected: bool) -> None:
    assert has_wildcard(pattern) is expected
