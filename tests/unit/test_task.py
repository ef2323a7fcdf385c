"""Task file parsing: every bad input names its key and what is allowed."""

from __future__ import annotations

import pytest

from sparkdms.errors import MappingRuleError, TaskConfigError
from sparkdms.task import parse_task
from sparkdms.task.settings import Settings

PG = {"engine": "postgres", "host": "127.0.0.1", "database": "db", "user": "u",
      "password": "s3cr3t-pw"}
RULES = {"rules": [{"rule-type": "selection", "rule-id": "1", "rule-name": "all",
                    "object-locator": {"schema-name": "public", "table-name": "%"},
                    "rule-action": "include"}]}


def task(**changes):
    doc = {"name": "t", "source": dict(PG), "target": dict(PG), "table_mappings": RULES}
    doc.update(changes)
    return doc


@pytest.mark.parametrize(("changes", "key", "words"), [
    ({"source": {**PG, "engine": "postgress"}}, "source.engine", "unknown engine 'postgress'"),
    ({"target": {**PG, "engine": "db2"}}, "target.engine", "not supported yet"),
    ({"CdcStartTime": "2024-01-01T00:00:00"}, "CdcStartTime", "only for migration_type cdc"),
    ({"migration_type": "cdc", "CdcStartTime": "yesterday"}, "CdcStartTime", "ISO time"),
    ({"migration_type": "sync"}, "migration_type", "is not one of"),
    ({"settings": {"FullLoadSettings": {"TargetTablePrepMode": "DROP"}}},
     "settings.FullLoadSettings.TargetTablePrepMode", "DO_NOTHING, TRUNCATE_BEFORE_LOAD"),
    ({"settings": {"FullLoadSettings": {"MaxFullLoadSubTasks": 0}}},
     "settings.FullLoadSettings.MaxFullLoadSubTasks", "must be >= 1"),
    ({"settings": {"FullLoadSettings": {"Bogus": 1}}}, "settings.FullLoadSettings.Bogus",
     "unknown setting"),
    ({"settings": {"NoSuchSection.X": 1}}, "settings.NoSuchSection.X", "known sections"),
    ({"table_mappings": {"rules": []}}, "table_mappings.rules", "non-empty list"),
    ({"table_mappings": "does-not-exist.json"}, "table_mappings", "cannot read"),
    ({"source": {**PG, "port": "abc"}}, "source.port", "port number"),
    ({"source": {**PG, "hots": "x"}}, "source.hots", "unknown key"),
    ({"source": {k: v for k, v in PG.items() if k != "host"}}, "source.host", "missing"),
    ({"sorce": {}}, "sorce", "unknown key"),
    ({"spark": {"mastr": "x"}}, "spark.mastr", "unknown key"),
])
def test_bad_task_names_the_key(changes, key, words, tmp_path):
    with pytest.raises(TaskConfigError) as err:
        parse_task(task(**changes), tmp_path)
    assert err.value.key == key
    assert words in str(err.value)
    assert "s3cr3t-pw" not in str(err.value)


def test_unknown_rule_type_names_rule(tmp_path):
    rules = {"rules": [{"rule-type": "selektion", "rule-id": "7", "rule-name": "oops",
                        "object-locator": {"schema-name": "a", "table-name": "b"},
                        "rule-action": "include"}]}
    from sparkdms.plan.mapping import parse_rules

    with pytest.raises(MappingRuleError) as err:
        parse_rules(parse_task(task(table_mappings=rules), tmp_path).table_mappings)
    assert "7" in str(err.value) and "oops" in str(err.value)


def test_secret_references_and_redaction(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_PW", "from-env")
    (tmp_path / "pw.txt").write_text("from-file\n")
    t = parse_task(task(source={**PG, "password": "${env:MY_PW}"},
                        target={**PG, "password": "${file:pw.txt}"}), tmp_path)
    assert t.source.password.reveal() == "from-env"
    assert t.target.password.reveal() == "from-file"
    shown = f"{t} {t.source!r} {t.target}"
    assert "from-env" not in shown and "from-file" not in shown


def test_missing_env_reference_names_key(tmp_path, monkeypatch):
    monkeypatch.delenv("NOPE_PW", raising=False)
    with pytest.raises(TaskConfigError) as err:
        parse_task(task(source={**PG, "password": "${env:NOPE_PW}"}), tmp_path)
    assert err.value.key == "source.password" and "NOPE_PW" in str(err.value)


def test_engine_aliases(tmp_path):
    t = parse_task(task(source={**PG, "engine": "aurora-postgresql"},
                        target={**PG, "engine": "aurora"}), tmp_path)
    assert (t.source.engine, t.target.engine) == ("postgres", "mysql")


@pytest.mark.parametrize("doc", [
    {"FullLoadSettings": {"TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD", "CommitRate": "500"}},
    {"FullLoadSettings.TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD",
     "FullLoadSettings.CommitRate": 500},
])
def test_settings_nested_or_dotted(doc):
    s = Settings.parse(doc)
    assert s["FullLoadSettings.TargetTablePrepMode"] == "TRUNCATE_BEFORE_LOAD"
    assert s["FullLoadSettings.CommitRate"] == 500
    assert s["FullLoadSettings.MaxFullLoadSubTasks"] == 8  # AWS default


def test_aws_names_without_meaning_here_are_accepted_with_notice():
    s = Settings.parse({"TargetMetadata": {"FullLobMode": False, "LobChunkSize": 64}})
    assert set(s.ignored) == {"TargetMetadata.FullLobMode", "TargetMetadata.LobChunkSize"}
