"""Secrets: resolved from ``${env:NAME}`` / ``${file:PATH}`` and never printed."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sparkdms.errors import TaskConfigError

_REF = re.compile(r"\$\{(env|file):([^}]+)\}")


# every secret value this process has read: what the output guards (console, report and
# assessment files) redact, whichever object the value reached them through
_KNOWN: set[str] = set()


class Secret:
    """A string that hides itself from ``str``, ``repr``, logs and f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if value:
            _KNOWN.add(value)

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


def known_secrets() -> list[Secret]:
    """Every secret this process has read (task passwords, secret options, URL passwords)."""
    return [Secret(v) for v in sorted(_KNOWN)]


def _forms(raw: str) -> set[str]:
    """A secret as it may be written: as read, percent-decoded (from a URL), percent-encoded
    (into a URL a driver or SQLAlchemy echoes)."""
    return {f for f in (raw, unquote(raw), quote(raw, safe="")) if f}


@functools.lru_cache(maxsize=64)
def _pattern(raw_values: frozenset[str]) -> re.Pattern[str] | None:
    """One regex for whole occurrences of the values in each of their forms: a form that
    starts (ends) with a word character must not continue a word on that side, so the
    password ``dms`` leaves ``big__sdms_stage`` alone. Longest first, so no part of a longer
    secret survives."""
    forms = {f for raw in raw_values for f in _forms(raw)}
    alts = []
    for value in sorted(forms, key=lambda v: (-len(v), v)):
        left = r"(?<!\w)" if re.match(r"\w", value[0]) else ""
        right = r"(?!\w)" if re.match(r"\w", value[-1]) else ""
        alts.append(f"{left}{re.escape(value)}{right}")
    return re.compile("|".join(alts)) if alts else None


def _redact(text: str, raw_values: frozenset[str]) -> str:
    pattern = _pattern(raw_values) if raw_values and text else None
    return pattern.sub("****", text) if pattern else text


def redact(text: str, secrets: Iterable[Secret]) -> str:
    """Replace every whole occurrence of a secret value by ``****`` in a message (e.g. a JVM
    exception). Whole: not inside a longer name or word (see ``_pattern``)."""
    return _redact(text, frozenset(v for s in secrets if (v := s.reveal())))


def redact_known(text: str) -> str:
    """``redact`` with every secret this process has read: the output guards use it."""
    return _redact(text, frozenset(_KNOWN))


def redact_data(value: Any, secrets: Iterable[Secret] | None = None) -> Any:
    """A JSON-like value (dicts, lists, strings) with every string redacted, of ``secrets``
    or of every secret this process has read; before it is serialized, so escaping (JSON,
    HTML) cannot hide a secret from the redaction."""
    raw = frozenset(_KNOWN) if secrets is None else \
        frozenset(v for s in secrets if (v := s.reveal()))

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return _redact(item, raw)
        if isinstance(item, Mapping):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [walk(v) for v in item]
        return item

    return walk(value)


# option keys whose values are secrets whatever the engine declares
SECRET_WORDS = re.compile(r"password|passwd|secret|token|private[_-]?key|access[_-]?key|"
                          r"credential", re.IGNORECASE)
# user:password@ in the authority: the password runs to the authority's last @ (as in
# urllib), so an unencoded @ inside it is masked with the rest
_URL_USERINFO = re.compile(r"(//[^/:@?#\s]*:)([^/?#\s]*)(@)")
# a value runs to the next & (JDBC URLs of PostgreSQL and MySQL); where ; separates
# parameters (SQL Server) the masked value runs on, and the part before ; is a secret too
_URL_PARAM = re.compile(r"([?&;](?:password|passwd|secret|token|sslpassword)=)([^&#\s]+)",
                        re.IGNORECASE)


def url_secrets(url: str | None) -> list[Secret]:
    """Passwords written inside a connection string (``user:pw@host``, ``?password=pw``),
    as written and percent-decoded."""
    if not url:
        return []
    found = [m.group(2) for m in _URL_USERINFO.finditer(url)]
    found += [v for m in _URL_PARAM.finditer(url) for v in (m.group(2), m.group(2).split(";")[0])]
    return [Secret(v) for v in dict.fromkeys(f for raw in found for f in (raw, unquote(raw)) if f)]


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
