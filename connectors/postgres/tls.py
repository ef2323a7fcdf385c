"""TLS of a PostgreSQL endpoint: ``options.ssl_mode`` (AWS DMS's ``SslMode`` values) and
``options.ssl_root_cert`` (the CA file the verify modes check the server against), given to
both drivers: psycopg (libpq) and the JDBC driver take the same ``sslmode`` names.

Unset, a server on this machine's loopback (127.0.0.1, ::1, localhost, a Unix socket) is
reached without TLS -- the traffic never leaves the machine, and encrypting it costs CPU on
both ends (in the JVM's reader most: ~0.5 s per 2M rows on the bench machine) -- and any
other server as the drivers do by default (``prefer``: TLS when the server offers it,
unverified). A connection URL's own ``sslmode`` and a ``jdbc:`` option ``sslmode`` win.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

# AWS DMS SslMode -> libpq / pgJDBC sslmode
SSL_MODES = {"none": "disable", "prefer": "prefer", "require": "require",
             "verify-ca": "verify-ca", "verify-full": "verify-full"}
LOOPBACK_NAMES = ("localhost", "")  # "" : libpq's default, the Unix socket


def choices() -> str:
    return ", ".join(SSL_MODES)


def check(options: Mapping[str, Any], role: str) -> tuple[str, str] | None:
    """(key, message) of a bad TLS option, else None."""
    mode = options.get("ssl_mode")
    if mode is not None and mode not in SSL_MODES:
        return f"{role}.options.ssl_mode", f"{mode!r} is not one of {choices()}"
    cert = options.get("ssl_root_cert")
    if cert is not None and not isinstance(cert, str):
        return f"{role}.options.ssl_root_cert", f"expected a file path, got {cert!r}"
    if cert and mode not in ("verify-ca", "verify-full"):
        return (f"{role}.options.ssl_root_cert",
                "is only read with ssl_mode verify-ca or verify-full")
    return None


def is_loopback(host: str | None) -> bool:
    name = (host or "").strip().strip("[]")
    if name.startswith("/") or name.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def params(options: Mapping[str, Any], host: str | None,
           url_params: Mapping[str, str]) -> dict[str, str]:
    """The driver parameters (``sslmode``, ``sslrootcert``) of an endpoint."""
    if "sslmode" in url_params or "sslmode" in options.get("jdbc", {}):
        return {}
    mode = options.get("ssl_mode") or ("none" if is_loopback(host) else None)
    out = {"sslmode": SSL_MODES[mode]} if mode else {}
    if options.get("ssl_root_cert"):
        out["sslrootcert"] = str(options["ssl_root_cert"])
    return out
