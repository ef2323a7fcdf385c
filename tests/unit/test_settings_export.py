"""AWS DMS task settings as AWS exports them: a path to the task-settings JSON or to
``aws dms describe-replication-tasks`` output, every documented key accepted, nulls meaning
"not set", unknown names all reported at once with the closest known name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparkdms.errors import TaskConfigError
from sparkdms.task import parse_task
from sparkdms.task.aws_settings import DOCUMENTED, TOP_LEVEL, ignored_summary
from sparkdms.task.settings import SETTINGS, Settings

EXPORT = Path(__file__).parent / "data" / "aws_task_settings.json"


def task_doc(tmp_path: Path, settings) -> dict:
    return {"name": "t", "source": {"engine": "sqlite", "path": str(tmp_path / "s.db")},
            "target": {"engine": "parquet", "path": str(tmp_path / "out")},
            "table_mappings": {"rules": [{"rule-type": "selection", "rule-id": "1",
                                          "rule-name": "1", "rule-action": "include",
                                          "object-locator": {"schema-name": "main",
                                                             "table-name": "%"}}]},
            "settings": settings}


def describe_output(settings: dict, *ids: str) -> dict:
    return {"ReplicationTasks": [
        {"ReplicationTaskIdentifier": i, "MigrationType": "full-load",
         "ReplicationTaskArn": f"arn:aws:dms:eu-west-1:123456789012:task:{i.upper()}",
         "TableMappings": json.dumps({"rules": []}), "Status": "stopped",
         "ReplicationTaskSettings": json.dumps(settings)} for i in ids]}


@pytest.fixture
def exported() -> dict:
    return json.loads(EXPORT.read_text())


def test_settings_file_and_describe_output_read_the_same(tmp_path, exported):
    (tmp_path / "settings.json").write_text(EXPORT.read_text())
    (tmp_path / "describe.json").write_text(json.dumps(describe_output(exported, "orders")))
    plain = parse_task(task_doc(tmp_path, "settings.json"), tmp_path).settings
    described = parse_task(task_doc(tmp_path, str(tmp_path / "describe.json")), tmp_path).settings
    inline = parse_task(task_doc(tmp_path, exported), tmp_path).settings
    assert plain == described == inline
    # the values of the export, not sparkdms's defaults
    assert plain["FullLoadSettings.TargetTablePrepMode"] == "TRUNCATE_BEFORE_LOAD"
    assert plain["FullLoadSettings.MaxFullLoadSubTasks"] == 4
    assert plain["FullLoadSettings.CommitRate"] == 50000
    assert plain["ControlTablesSettings.ControlSchema"] == "dms_control"
    assert plain["ValidationSettings.EnableValidation"] is True
    assert plain["ValidationSettings.PartitionSize"] == 10000
    assert "Logging.CloudWatchLogGroup" in plain.ignored
    assert "ChangeProcessingTuning.MemoryLimitTotal" in plain.ignored
    # nulls are "not set": neither values nor ignored names
    assert "CharacterSetSettings" not in plain.ignored
    assert "ErrorBehavior.EventErrorPolicy" not in plain.ignored


def test_every_documented_key_is_accepted(exported):
    names = {f"{s}.{k}" for s, keys in DOCUMENTED.items() for k in keys}
    given = {n: None for n in names} | {n: None for n in TOP_LEVEL}
    settings = Settings.parse(given)  # all null: accepted, nothing set, nothing reported
    assert settings.values == {} and settings.ignored == ()
    flat_export = {f"{s}.{k}": v for s, block in exported.items() if isinstance(block, dict)
                   for k, v in block.items()}
    assert set(flat_export) <= names  # the export uses documented names only
    parsed = Settings.parse(exported)
    assert set(parsed.values) | set(parsed.ignored) == {n for n, v in flat_export.items()
                                                        if v is not None} | {
        "FailTaskWhenCleanTaskResourceFailed"}
    assert set(parsed.values) <= set(SETTINGS)


def test_ignored_settings_are_one_line(exported):
    parsed = Settings.parse(exported)
    line = ignored_summary(parsed.ignored)
    assert line is not None and "\n" not in line
    assert line.startswith(f"{len(parsed.ignored)} AWS DMS setting(s) have no effect")
    logging_keys = [n for n in parsed.ignored if n.startswith("Logging.")]
    assert len(logging_keys) == 5  # the export's Logging block, none of it meant here
    assert "Logging (5)" in line  # a section by name and count, not key by key
    assert ignored_summary([]) is None


def test_null_values_take_the_default():
    s = Settings.parse({"FullLoadSettings": {"CommitRate": None, "MaxFullLoadSubTasks": 2},
                        "TargetMetadata": None, "Sparkdms": None})
    assert s["FullLoadSettings.CommitRate"] == 10000
    assert s["FullLoadSettings.MaxFullLoadSubTasks"] == 2
    assert s.ignored == ()


def test_unknown_names_reported_at_once_with_the_closest_name():
    with pytest.raises(TaskConfigError) as err:
        Settings.parse({"FullLoadSettings": {"MaxFullLoadSubTask": 4, "CommitRate": 5},
                        "TargetMetadata": {"TargetSchem": "x"},
                        "ErrorBehaviour": {"DataErrorPolicy": "LOG_ERROR"},
                        "Zzz": 1})
    message = str(err.value)
    assert err.value.key == "settings"
    assert message.startswith("task file: settings: 4 unknown settings: ")
    assert "FullLoadSettings.MaxFullLoadSubTask (did you mean " \
           "FullLoadSettings.MaxFullLoadSubTasks?)" in message
    assert "TargetMetadata.TargetSchem (did you mean TargetMetadata.TargetSchema?)" in message
    assert "ErrorBehaviour.DataErrorPolicy (did you mean ErrorBehavior.DataErrorPolicy?)" \
        in message
    assert "Zzz (no close name)" in message


def test_a_describe_output_with_several_tasks_is_refused(tmp_path, exported):
    (tmp_path / "describe.json").write_text(json.dumps(describe_output(exported, "a", "b")))
    with pytest.raises(TaskConfigError, match=r"ReplicationTasks holds 2 tasks \(a, b\)"):
        parse_task(task_doc(tmp_path, "describe.json"), tmp_path)


@pytest.mark.parametrize(("content", "words"), [
    (None, "cannot read"),
    ("{not json", "is not valid JSON"),
    (json.dumps({"ReplicationTasks": [{"ReplicationTaskIdentifier": "a",
                                       "ReplicationTaskSettings": "{oops"}]}),
     "ReplicationTaskSettings is not valid JSON"),
])
def test_bad_settings_files(tmp_path, content, words):
    if content is not None:
        (tmp_path / "s.json").write_text(content)
    with pytest.raises(TaskConfigError, match=words):
        parse_task(task_doc(tmp_path, "s.json"), tmp_path)
