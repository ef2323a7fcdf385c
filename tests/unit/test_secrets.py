"""Secrets of an endpoint (password, secret-bearing options, passwords inside connection
strings) never reach a printed message; engine-registered settings belong to their engine."""

from __future__ import annotations

import io
import pickle

import pytest

from sparkdms.errors import TaskConfigError
from sparkdms.explain import explain
from sparkdms.task import parse_task
from sparkdms.task.secrets import Secret, mask_url, redact, redact_data, redact_known

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


# -- redaction replaces whole values ---------------------------------------------------------

def test_redaction_replaces_whole_values_never_parts_of_names() -> None:
    dms = [Secret("dms")]
    assert redact("big__sdms_stage", dms) == "big__sdms_stage"
    assert redact("sparkdms dmsx xdms dms_1", dms) == "sparkdms dmsx xdms dms_1"
    assert redact("user=u&password=dms&ssl=1", dms) == "user=u&password=****&ssl=1"
    assert redact("(dms) 'dms', dms.", dms) == "(****) '****', ****."


@pytest.mark.parametrize("pw", ["p.w[1]?*+(x)$^|\\", "a.c", "-x-", "ä(ö)ü"])
def test_redaction_of_passwords_with_regex_metacharacters(pw: str) -> None:
    text = f"login {pw} failed; {pw}, again"
    assert redact(text, [Secret(pw)]) == "login **** failed; ****, again"
    if pw == "a.c":  # a literal dot: abc is another word, and a.cd continues it
        assert redact("abc a.cd a.c", [Secret(pw)]) == "abc a.cd ****"


def test_redaction_covers_url_encodings_and_longer_secrets_first() -> None:
    secrets = [Secret("p@ss w/1"), Secret("pw"), Secret("pw-long")]
    text = "jdbc:x://h/db?password=p%40ss%20w%2F1 pw-long pw p@ss w/1"
    assert redact(text, secrets) == "jdbc:x://h/db?password=**** **** **** ****"
    assert redact("", secrets) == "" and redact("pw", []) == "pw"


def test_redact_data_walks_json_values_before_they_are_escaped() -> None:
    pw = Secret('q"<&>"q')
    data = {"source": 'postgres at h ?password=q"<&>"q', "items": [("q\"<&>\"q", 3)], "n": None}
    assert redact_data(data, [pw]) == {"source": "postgres at h ?password=****",
                                       "items": [["****", 3]], "n": None}


def test_the_console_guard_redacts_every_secret_the_process_read() -> None:
    from sparkdms.cli import Redacting

    Secret("zq-known-9")  # read from some task: known to the process from now on
    out = io.StringIO()
    assert Redacting(out).write("url ?password=zq-known-9 and zq-known-90") == 40
    assert out.getvalue() == "url ?password=**** and zq-known-90"
    assert redact_known("zq-known-9") == "****"


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://u:p@ss@h/db?x=1", "postgresql://u:****@h/db?x=1"),
    ("jdbc:mysql://h:3306/db?user=u&Password=p;w&x=1",
     "jdbc:mysql://h:3306/db?user=u&Password=****&x=1"),
    ("jdbc:sqlserver://h;password=pw;encrypt=true", "jdbc:sqlserver://h;password=****"),
    ("jdbc:mysql://h:3306/db", "jdbc:mysql://h:3306/db"),
])
def test_masked_urls(url: str, shown: str) -> None:
    assert mask_url(url) == shown


# -- credentials in URLs are used ------------------------------------------------------------

@pytest.mark.parametrize(("url", "want"), [
    ("jdbc:mysql://h:3307/db?user=u&password=p%26w&ssl=true",
     ("h", 3307, "db", "u", "p&w", {"ssl": "true"})),
    ("jdbc:mariadb://h/db?password=pw&user=u", ("h", None, "db", "u", "pw", {})),
    ("jdbc:postgresql://h/db?user=u&password=pw", ("h", None, "db", "u", "pw", {})),
    ("postgresql://u:p%40w@h:5433/db", ("h", 5433, "db", "u", "p@w", {})),
    ("jdbc:postgresql://u:pw@[::1]:5432,h2:5432/db?sslmode=require",
     ("::1", 5432, "db", "u", "pw", {"sslmode": "require"})),
    ("jdbc:mysql://h", ("h", None, None, None, None, {})),
    ("jdbc:sqlite:/tmp/x.db", (None, None, None, None, None, {})),
])
def test_url_credentials_are_parsed(url: str, want: tuple) -> None:
    from sparkdms.connectors.sql.urls import parse_url

    info = parse_url(url)
    assert (info.host, info.port, info.database, info.user,
            info.password.reveal() if info.password else None, info.params) == want


@pytest.mark.parametrize(("url", "bare"), [
    ("jdbc:mysql://h:3306/db?user=u&password=pw&ssl=true", "jdbc:mysql://h:3306/db?ssl=true"),
    ("postgresql://u:p@w@h/db?password=x", "postgresql://h/db"),
    ("jdbc:postgresql://h/db?sslmode=require#f", "jdbc:postgresql://h/db?sslmode=require#f"),
    ("jdbc:sqlite:/tmp/x.db", "jdbc:sqlite:/tmp/x.db"),
])
def test_urls_lose_their_credentials(url: str, bare: str) -> None:
    from sparkdms.connectors.sql.urls import strip_credentials

    assert strip_credentials(url) == bare


def _connect_kwargs(monkeypatch, module: str, endpoint: dict) -> tuple[tuple, dict]:
    """What the engine's Python driver is called with (the call is stopped there)."""
    import importlib

    from sparkdms.registry import connector_for

    seen: dict = {}

    def fake(*args, **kwargs):
        seen.update(args=args, kwargs=kwargs)
        raise ConnectionAbortedError("stop")

    monkeypatch.setattr(importlib.import_module(module), "connect", fake)
    connector = connector_for(parsed(endpoint).source)
    with pytest.raises(ConnectionAbortedError):
        connector.connect()
    return seen["args"], seen["kwargs"]


@pytest.mark.parametrize("url", ["jdbc:mysql://h:3307/db?user=u&password=pw-url",
                                 "jdbc:mariadb://h:3307/db?password=pw-url&user=u",
                                 "mariadb://u:pw-url@h:3307/db"])
def test_mariadb_uses_the_credentials_of_its_url(monkeypatch, url: str) -> None:
    _, kw = _connect_kwargs(monkeypatch, "pymysql", {"engine": "mariadb", "url": url})
    assert (kw["host"], kw["port"], kw["database"], kw["user"], kw["password"]) == \
        ("h", 3307, "db", "u", "pw-url")


def test_task_keys_win_over_the_url(monkeypatch) -> None:
    endpoint = {"engine": "mariadb", "url": "jdbc:mysql://h/db?user=u&password=pw-url",
                "user": "k", "password": "pw-key"}
    _, kw = _connect_kwargs(monkeypatch, "pymysql", endpoint)
    assert (kw["user"], kw["password"], kw["port"]) == ("k", "pw-key", 3306)


@pytest.mark.parametrize("url", ["jdbc:postgresql://h:5433/db?user=u&password=pw-url",
                                 "postgresql://u:pw-url@h:5433/db",
                                 "jdbc:postgresql://u:pw-url@h:5433/db"])
def test_postgres_uses_the_credentials_of_its_url(monkeypatch, url: str) -> None:
    args, kw = _connect_kwargs(monkeypatch, "psycopg", {"engine": "postgres", "url": url})
    assert args == ("postgresql://h:5433/db",) and (kw["user"], kw["password"]) == ("u", "pw-url")


@pytest.mark.parametrize(("engine", "url", "jdbc"), [
    ("postgres", "postgresql://u:pw-url@h/db?sslmode=require",
     "jdbc:postgresql://h/db?sslmode=require"),
    ("postgres", "jdbc:postgresql://h/db?user=u&password=pw-url", "jdbc:postgresql://h/db"),
    ("mariadb", "jdbc:mariadb://h:3306/db?user=u&password=pw-url",
     "jdbc:mysql://h:3306/db?permitMysqlScheme&sessionVariables=time_zone='+00:00'"),
])
def test_spark_reads_with_a_url_without_credentials(engine: str, url: str, jdbc: str) -> None:
    from sparkdms.registry import connector_for

    task = parsed({"engine": engine, "url": url})
    connector = connector_for(task.source)
    props = connector.jdbc_properties()
    assert connector.jdbc_url() == jdbc and "pw-url" not in connector.jdbc_url()
    assert (props["user"], props["password"]) == ("u", "pw-url")
    shown = f"{task.source.describe()} {task.source!r}"
    assert "pw-url" not in shown and "****" in shown


def test_only_connection_urls_of_the_engine_are_accepted() -> None:
    with pytest.raises(TaskConfigError) as err:
        parsed({"engine": "postgres", "url": "mysql://u:pw@h/db"})
    assert err.value.key == "source.url" and "postgresql://" in str(err.value)
    assert "pw" not in str(err.value)


def test_a_failed_command_prints_no_url_password(tmp_path, capsys) -> None:
    import yaml

    from sparkdms.cli import main

    url = "jdbc:postgresql://127.0.0.1:1/db?user=u&password=Zx9-unusual"
    doc = {"name": "t", "source": {"engine": "postgres", "url": url},
           "target": {"engine": "mariadb", "url": "mariadb://u:Zx9-unusual@127.0.0.1:1/db"},
           "table_mappings": RULES}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(doc))
    for command in ("run", "plan", "validate", "assess"):
        assert main([command, str(tmp_path / "t.yaml")]) == 2
        out, err = capsys.readouterr()
        assert "Zx9-unusual" not in out + err and "password=****" in err, err


def test_a_path_url_with_credentials_is_masked_like_a_connection_string() -> None:
    task = parsed(dict(PG), {"engine": "parquet", "path": "s3a://key:sec-ret9@bucket/x"})
    shown = f"{task.target.describe()} {task.target!r}"
    assert "sec-ret9" not in shown and "s3a://key:****@bucket/x" in shown
    assert redact("denied for sec-ret9", task.secrets) == "denied for ****"
