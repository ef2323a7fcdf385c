"""AWS DMS object-locator wildcards: ``%`` any run of characters (also none), ``_`` exactly
one character, ``[_]`` a literal underscore (any one character in brackets is literal:
``[%]``, ``[[]``), ``[abc]`` / ``[a-z]`` a set, ``[^abc]`` / ``[!abc]`` a negated set.
Matching is case-sensitive, as AWS DMS documents for names in table mappings."""

from __future__ import annotations

import re
from functools import lru_cache


def _bracket(body: str) -> str:
    """Regex for the text between ``[`` and ``]``: one literal character, or a set."""
    if len(body) == 1:
        return re.escape(body)
    negate = body[0] in "^!"
    members = body[1:] if negate else body
    escaped = members.replace("\\", "\\\\").replace("[", "\\[").replace("^", "\\^")
    return "[" + ("^" if negate else "") + escaped + "]"


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        end = pattern.find("]", i + 2) if ch == "[" else -1  # "[]" never closes at once
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch == "[" and end != -1:
            out.append(_bracket(pattern[i + 1:end]))
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def matches(pattern: str, name: str) -> bool:
    return compile_pattern(pattern).fullmatch(name) is not None


def has_wildcard(pattern: str) -> bool:
    return any(ch in pattern for ch in "%_[")
