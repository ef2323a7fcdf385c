"""Binlog positions and the statements of a MySQL/MariaDB binlog that change data capture
reads as text (TRUNCATE, ALTER/CREATE/DROP/RENAME TABLE).

A position is AWS DMS's ``CdcStartPosition`` form for MySQL, ``<binlog file>:<offset>``
(``mariadb-bin.000003:1234``): the offset of the first byte *after* a transaction, where a
replica resumes. Files of one server share a base name and a numeric extension that grows by
one at each rotation, so positions order by (base, number, offset).
https://dev.mysql.com/doc/refman/8.0/en/binary-log-file.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sparkdms.errors import TaskConfigError

_POSITION = re.compile(r"^(?P<file>[^:\s]+\.(?P<num>\d+)):(?P<pos>\d+)$")


@dataclass(frozen=True, order=True)
class BinlogPos:
    """A binlog file and byte offset; ordered as the server writes them."""

    base: str
    number: int
    offset: int
    file: str = ""

    @classmethod
    def of(cls, file: str, offset: int) -> BinlogPos:
        base, _, num = file.rpartition(".")
        if not base or not num.isdigit():
            raise ValueError(f"binlog file name {file!r} has no numeric extension")
        return cls(base, int(num), int(offset), file)

    @classmethod
    def parse(cls, text: str, key: str = "CdcStartPosition") -> BinlogPos:
        """``mariadb-bin.000003:1234`` as a position; anything else is a task error naming
        ``key``."""
        m = _POSITION.match(text.strip())
        if not m:
            raise TaskConfigError(key, f"{text!r} is not a binlog position such as "
                                       "'mysql-bin.000024:373' (file:offset)")
        return cls.of(m["file"], int(m["pos"]))

    def __str__(self) -> str:
        return f"{self.file}:{self.offset}"


# -- statements -------------------------------------------------------------------------------

_IDENT = r"(?:`(?:[^`]|``)+`|[\w$]+)"
_NAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT})?"
_COMMENTS = re.compile(r"/\*.*?\*/|(?:--|#)[^\n]*", re.S)
# verb -> pattern of the statement head up to its first table name
STATEMENTS: dict[str, re.Pattern[str]] = {
    "truncate": re.compile(rf"^TRUNCATE\s+(?:TABLE\s+)?(?P<names>{_NAME})", re.I),
    "alter": re.compile(rf"^ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?"
                        rf"(?P<names>{_NAME})", re.I),
    "create": re.compile(rf"^CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                         rf"(?P<names>{_NAME})", re.I),
    "drop": re.compile(rf"^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?"
                       rf"(?P<names>{_NAME}(?:\s*,\s*{_NAME})*)", re.I),
    "rename": re.compile(rf"^RENAME\s+TABLES?\s+(?P<names>{_NAME}\s+TO\s+{_NAME}"
                         rf"(?:\s*,\s*{_NAME}\s+TO\s+{_NAME})*)", re.I),
}
_SPLIT = re.compile(rf"({_NAME})")


def _unquote(ident: str) -> str:
    ident = ident.strip()
    return ident[1:-1].replace("``", "`") if ident.startswith("`") else ident


def _qualified(name: str, default_schema: str) -> tuple[str, str]:
    parts = re.findall(_IDENT, name)
    if len(parts) == 2:
        return _unquote(parts[0]), _unquote(parts[1])
    return default_schema, _unquote(parts[0])


def statement_tables(statement: str, default_schema: str) -> tuple[str, list[tuple[str, str]]]:
    """(verb, [(schema, table), ...]) of a TRUNCATE / ALTER / CREATE / DROP / RENAME TABLE
    statement (RENAME lists old and new names), or ("", []) for any other statement;
    unqualified names take the statement's default database."""
    text = _COMMENTS.sub(" ", statement).strip()
    for verb, pattern in STATEMENTS.items():
        m = pattern.match(text)
        if m:
            names = [n for n in _SPLIT.findall(m["names"]) if n.upper() != "TO"]
            return verb, [_qualified(n, default_schema) for n in names]
    return "", []
