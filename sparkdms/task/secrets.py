"""Secrets: resolved from ``${env:NAME}`` / ``${file:PATH}`` and never printed."""

from __future__ import annotations

import os
import re
from pathlib import Path

from sparkdms.errors import TaskConfigError

_REF = re.compile(r"\$\{(env|file):([^}]+)\}")


class Secret:
    """A string that hides itself from ``str``, ``repr``, logs and f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "****"

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return "****"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):
        return (Secret, (self._value,))


def resolve_refs(value: str, key: str, base_dir: Path | None = None) -> str:
    """Replace every ``${env:X}`` / ``${file:P}`` in ``value``; errors name ``key``."""

    def sub(match: re.Match[str]) -> str:
        kind, ref = match.group(1), match.group(2).strip()
        if kind == "env":
            if ref not in os.environ:
                raise TaskConfigError(key, f"environment variable {ref} is not set")
            return os.environ[ref]
        path = Path(ref).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        try:
            return path.read_text().strip()
        except OSError as err:
            raise TaskConfigError(key, f"cannot read secret file {path}: {err.strerror}") from None

    return _REF.sub(sub, value)


def redact(text: str, secrets: list[Secret]) -> str:
    """Remove every known secret value from a message (e.g. a JVM exception)."""
    for secret in secrets:
        raw = secret.reveal()
        if raw:
            text = text.replace(raw, "****")
    return text
