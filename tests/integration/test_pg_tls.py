"""TLS to the real PostgreSQL server, as the server sees it (pg_stat_ssl): a loopback endpoint
is reached in the clear by both drivers unless its ssl_mode asks for TLS, and then both use it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sparkdms.connectors.postgres.connector import PostgresConnector

from sparkdms.task import parse_endpoint

OWN_SSL = "(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) s"


def connector(db: dict, **options: str) -> PostgresConnector:
    doc = {"engine": "postgres", **{k: db[k] for k in ("host", "port", "database", "user",
                                                      "password")}, "options": options}
    return PostgresConnector(parse_endpoint(doc, "source", Path(".")))


def psycopg_ssl(c: PostgresConnector) -> bool:
    with c.connect() as conn:
        return bool(conn.execute(f"SELECT ssl FROM {OWN_SSL}").fetchone()[0])


def jdbc_ssl(c: PostgresConnector, spark) -> bool:
    return bool(spark.read.jdbc(c.jdbc_url(), OWN_SSL, properties=c.jdbc_properties()).first()[0])


def test_loopback_is_plain_unless_tls_is_asked_for(pg_db, spark) -> None:
    plain = connector(pg_db)
    assert plain.endpoint.host in ("127.0.0.1", "localhost", "::1")
    assert (psycopg_ssl(plain), jdbc_ssl(plain, spark)) == (False, False)
    with plain.connect() as conn:
        if conn.execute("SHOW ssl").fetchone()[0] != "on":
            pytest.skip("the test server has ssl off")
    secured = connector(pg_db, ssl_mode="require")
    assert (psycopg_ssl(secured), jdbc_ssl(secured, spark)) == (True, True)
