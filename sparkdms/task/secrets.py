"""Secrets: resolved from ``${env:NAME}`` / ``${file:PATH}`` and never printed."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


# option keys whose values are secrets whatever the engine declares
SECRET_WORDS = re.compile(r"password|passwd|secret|token|private[_-]?key|access[_-]?key|"
                          r"credential", re.IGNORECASE)
_URL_USERINFO = re.compile(r"(//[^/:@?#\s]*:)([^@/?#\s]+)(@)")
_URL_PARAM = re.compile(r"([?&;](?:password|passwd|secret|token|sslpassword)=)([^&;#\s]+)",
                        re.IGNORECASE)


def url_secrets(url: str | None) -> list[Secret]:
    """Passwords written inside a connection string (``user:pw@host``, ``?password=pw``)."""
    if not url:
        return []
    found = [m.group(2) for m in _URL_USERINFO.finditer(url)]
    found += [m.group(2) for m in _URL_PARAM.finditer(url)]
    return [Secret(v) for v in found]


def mask_url(url: str) -> str:
    """A connection string as it may be printed: passwords replaced by ****."""
    return _URL_PARAM.sub(r"\1****", _URL_USERINFO.sub(r"\1****\3", url))


def hide_options(options: Mapping[str, Any], declared: tuple[str, ...],
                 prefix: str = "") -> dict[str, Any]:
    """Endpoint options with secret values wrapped in ``Secret``: the dotted names an engine
    declares (``jdbc.password``) and any key that names a secret (password, token, ...)."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out[key] = hide_options(value, declared, f"{name}.")
        elif isinstance(value, str) and (name in declared or SECRET_WORDS.search(str(key))):
            out[key] = Secret(value)
        else:
            out[key] = value
    return out


def option_secrets(options: Mapping[str, Any]) -> list[Secret]:
    out: list[Secret] = []
    for value in options.values():
        if isinstance(value, Secret):
            out.append(value)
        elif isinstance(value, Mapping):
            out += option_secrets(value)
    return out
