"""TLS of a PostgreSQL endpoint (connectors/postgres/tls.py): AWS DMS's SslMode names, off by
default only on loopback, and never over what the user wrote in a URL or a JDBC option."""

from __future__ import annotations

from pathlib import Path

import pytest
from sparkdms.connectors.postgres import tls

from sparkdms.errors import TaskConfigError
from sparkdms.task import parse_endpoint


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost",
                                  "LOCALHOST", "/var/run/postgresql", None])
def test_loopback_servers_are_reached_without_tls_by_default(host: str | None) -> None:
    assert tls.params({}, host, {}) == {"sslmode": "disable"}


@pytest.mark.parametrize("host", ["db.example.com", "10.0.0.5", "2001:db8::1", "localhost.example"])
def test_other_servers_keep_the_drivers_default(host: str) -> None:
    assert tls.params({}, host, {}) == {}


@pytest.mark.parametrize(("mode", "driver"), list(tls.SSL_MODES.items()))
def test_each_aws_dms_mode_maps_to_the_drivers_name(mode: str, driver: str) -> None:
    assert tls.params({"ssl_mode": mode}, "127.0.0.1", {}) == {"sslmode": driver}
    assert tls.params({"ssl_mode": mode}, "db.example.com", {}) == {"sslmode": driver}


def test_the_ca_file_goes_with_a_verify_mode() -> None:
    got = tls.params({"ssl_mode": "verify-full", "ssl_root_cert": "/etc/ca.pem"}, "h", {})
    assert got == {"sslmode": "verify-full", "sslrootcert": "/etc/ca.pem"}


def test_the_users_own_sslmode_wins() -> None:
    assert tls.params({"ssl_mode": "none"}, "127.0.0.1", {"sslmode": "require"}) == {}
    assert tls.params({"jdbc": {"sslmode": "require"}}, "127.0.0.1", {}) == {}


def endpoint(options: dict) -> dict:
    return {"engine": "postgres", "host": "127.0.0.1", "database": "d", "user": "u",
            "options": options}


@pytest.mark.parametrize(("options", "key", "words"), [
    ({"ssl_mode": "verify"}, "source.options.ssl_mode", "none, prefer, require"),
    ({"ssl_mode": "require", "ssl_root_cert": "/ca.pem"}, "source.options.ssl_root_cert",
     "verify-ca or verify-full"),
    ({"ssl_mode": "verify-ca", "ssl_root_cert": 5}, "source.options.ssl_root_cert", "file path"),
])
def test_bad_tls_options_name_the_key(options: dict, key: str, words: str) -> None:
    with pytest.raises(TaskConfigError) as err:
        parse_endpoint(endpoint(options), "source", Path("."))
    assert key in str(err.value) and words in str(err.value)


def test_the_connector_gives_both_drivers_the_same_mode() -> None:
    from sparkdms.connectors.postgres.connector import PostgresConnector

    connector = PostgresConnector(parse_endpoint(endpoint({"ssl_mode": "require"}), "source",
                                                 Path(".")))
    assert connector.ssl_params() == {"sslmode": "require"}
    assert connector.jdbc_properties()["sslmode"] == "require"
    plain = PostgresConnector(parse_endpoint(endpoint({}), "source", Path(".")))
    assert plain.jdbc_properties()["sslmode"] == "disable"
