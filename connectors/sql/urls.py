"""Connection URLs of relational engines (``jdbc:mysql://h:3306/db?user=u&password=p``,
``jdbc:postgresql://h/db?user=u&password=p``, ``postgresql://u:p@h/db``): parsed once into
where and as whom to connect, for the Python drivers; and written back without their
credentials, for Spark's JDBC reads (the credentials travel as JDBC properties, which Spark
redacts, so no plan, UI page or log line carries them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from sparkdms.task.secrets import Secret

CREDENTIAL_KEYS = ("user", "password")
# scheme:// then the authority: userinfo runs to its last @ (as in urllib), then hosts
_AUTHORITY = re.compile(r"^(?P<head>(?:jdbc:)?[A-Za-z][\w+.-]*:(?:[\w+.-]+:)*//)"
                        r"(?:(?P<userinfo>[^/?#]*)@)?(?P<hosts>[^/?#]*)(?P<rest>.*)$", re.DOTALL)


@dataclass(frozen=True)
class ConnInfo:
    """Where and as whom to connect; ``params``: the URL's other query parameters, decoded."""

    host: str | None = None
    port: int | None = None
    database: str | None = None
    user: str | None = None
    password: Secret | None = None
    params: dict[str, str] = field(default_factory=dict)


def _split_query(rest: str) -> tuple[str, str, str]:
    """``/db?a=1#f`` as (path, query, fragment)."""
    rest, _, fragment = rest.partition("#")
    path, _, query = rest.partition("?")
    return path, query, fragment


def _pairs(query: str) -> list[tuple[str, str]]:
    out = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            out.append((unquote(key), unquote(value)))
    return out


def parse_url(url: str) -> ConnInfo:
    """The parts of a connection URL. Credentials: ``user:password@`` in the authority or
    ``user`` / ``password`` parameters (a parameter overrides the userinfo). The first
    host of a multi-host URL. A URL without ``//`` (``jdbc:sqlite:path``) has no parts."""
    match = _AUTHORITY.match(url.strip())
    if not match:
        return ConnInfo()
    user = password = None
    if match.group("userinfo") is not None:
        name, sep, pw = match.group("userinfo").partition(":")
        user = unquote(name) or None
        password = unquote(pw) if sep else None
    host_port = match.group("hosts").split(",")[0]
    if host_port.startswith("["):  # [::1]:5432
        host, _, tail = host_port[1:].partition("]")
        port_text = tail.removeprefix(":")
    else:
        host, _, port_text = host_port.partition(":")
    path, query, _ = _split_query(match.group("rest"))
    params: dict[str, str] = {}
    for key, value in _pairs(query):
        if key.lower() == "user":
            user = value
        elif key.lower() == "password":
            password = value
        else:
            params[key] = value
    return ConnInfo(host=unquote(host) or None,
                    port=int(port_text) if port_text.isdigit() else None,
                    database=unquote(path.lstrip("/")) or None, user=user or None,
                    password=Secret(password) if password else None, params=params)


def strip_credentials(url: str) -> str:
    """The URL without ``user:password@`` and without ``user`` / ``password`` parameters;
    everything else as written."""
    match = _AUTHORITY.match(url.strip())
    if not match:
        return url
    path, query, fragment = _split_query(match.group("rest"))
    kept = [part for part in query.split("&")
            if part and unquote(part.partition("=")[0]).lower() not in CREDENTIAL_KEYS]
    return (match.group("head") + match.group("hosts") + path
            + ("?" + "&".join(kept) if kept else "") + ("#" + fragment if fragment else ""))
