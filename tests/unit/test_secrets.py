"""Secrets of an endpoint (password, secret-bearing options, passwords inside connection
strings) never reach a printed message; engine-registered settings belong to their engine."""

from __future__ import annotations

import pickle

import pytest

from sparkdms.errors import TaskConfigError
from sparkdms.explain import explain
from sparkdms.task import parse_task
from sparkdms.task.secrets import Secret, mask_url

RULES = {"rules": [{"rule-type": "selection", "rule-id": "1", "rule-name": "all",
                    "object-locator": {"schema-name": "public", "table-name": "%"},
                    "rule-action": "include"}]}
PG = {"engine": "postgres", "host": "127.0.0.1", "database": "db", "user": "u",
      "password": "pw-one"}


def parsed(source: dict, target: dict | None = None, settings: dict | None = None):
    return parse_task({"name": "t", "source": source, "target": target or dict(PG),
                       "table_mappings": RULES, **({"settings": settings} if settings else {})})


@pytest.mark.parametrize(("url", "shown"), [
    ("jdbc:postgresql://h:5432/db?user=u&password=pw-two&ssl=true",
     "jdbc:postgresql://h:5432/db?user=u&password=****&ssl=true"),
    ("mongodb://app:pw-two@h:27017/db", "mongodb://app:****@h:27017/db"),
    ("jdbc:mysql://h/db?sslpassword=pw-two", "jdbc:mysql://h/db?sslpassword=****"),
])
def test_passwords_inside_connection_strings_are_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_every_secret_of_an_endpoint_is_redacted_from_messages() -> None:
    task = parsed({"engine": "postgres", "url": "jdbc:postgresql://h/db?password=pw-two",
                   "user": "u", "password": "pw-one",
                   "options": {"jdbc": {"sslpassword": "pw-three", "sslmode": "require",
                                        "accessToken": "pw-four"}}})
    src = task.source
    assert isinstance(src.options["jdbc"]["sslpassword"], Secret)
    assert isinstance(src.options["jdbc"]["accessToken"], Secret)
    assert src.options["jdbc"]["sslmode"] == "require"  # not a secret: kept as it is
    shown = " ".join([src.describe(), repr(src), str(src.options)])
    message = explain(RuntimeError("login pw-one pw-two pw-three pw-four failed"), task.secrets)
    for secret in ("pw-one", "pw-two", "pw-three", "pw-four"):
        assert secret not in shown and secret not in message
    assert message.count("****") == 4


def test_secret_options_reach_the_driver_and_survive_pickling() -> None:
    from sparkdms.registry import connector_for

    task = parsed({**PG, "options": {"jdbc": {"sslpassword": "pw-three"}}})
    again = pickle.loads(pickle.dumps(task.source))
    assert connector_for(again).jdbc_properties()["sslpassword"] == "pw-three"


def test_endpoint_options_are_the_engines_own() -> None:
    with pytest.raises(TaskConfigError) as err:
        parsed({**PG, "options": {"zero_date": "null"}})  # a MySQL option
    assert err.value.key == "source.options.zero_date" and "known: jdbc" in str(err.value)
    mysql = {**PG, "engine": "mariadb", "options": {"zero_date": "null"}}
    assert parsed(mysql).source.options["zero_date"] == "null"


def test_engine_settings_are_accepted_only_for_their_engines() -> None:
    direct = {"Sparkdms": {"DirectCopy": False}}
    assert parsed(dict(PG), settings=direct).settings["Sparkdms.DirectCopy"] is False
    sqlite = {"engine": "sqlite", "path": "/tmp/x.db"}
    with pytest.raises(TaskConfigError) as err:
        parsed(sqlite, {"engine": "parquet", "path": "/tmp/out"}, settings=direct)
    assert err.value.key == "settings.Sparkdms.DirectCopy"
    fetch = {"Sparkdms": {"FetchSize": 500}}
    assert parsed(sqlite, {"engine": "parquet", "path": "/tmp/o"},
                  settings=fetch).settings["Sparkdms.FetchSize"] == 500
