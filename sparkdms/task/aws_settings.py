"""AWS DMS task settings as AWS exports them.

``settings:`` in a task file may be inline (nested or dotted names), or a path to a JSON
file holding either the task-settings document itself (the console's "Overview details"
copy, ``aws dms create-replication-task --replication-task-settings file://...``) or the
output of ``aws dms describe-replication-tasks`` (``ReplicationTaskSettings`` is a JSON
string inside it).

``DOCUMENTED`` is every key the AWS DMS user guide documents, by section ("Specifying task
settings", its example and the pages per section: target metadata, full load, Time Travel,
logging, control tables, stream buffer, change processing tuning, data validation, data
resync, DDL handling, character substitution, before image, error handling, saving task
settings). A key documented there but not acted on by sparkdms is accepted and reported
once, in one summary line; any other key is an error naming the closest known name.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sparkdms.errors import TaskConfigError

# section -> documented keys (a value may itself be a list or an object: Logging.LogComponents)
DOCUMENTED: dict[str, tuple[str, ...]] = {
    "TargetMetadata": (
        "TargetSchema", "SupportLobs", "FullLobMode", "LobChunkSize", "LimitedSizeLobMode",
        "LobMaxSize", "InlineLobMaxSize", "LoadMaxFileSize", "ParallelLoadThreads",
        "ParallelLoadBufferSize", "ParallelLoadQueuesPerThread", "ParallelApplyThreads",
        "ParallelApplyBufferSize", "ParallelApplyQueuesPerThread", "BatchApplyEnabled",
        "TaskRecoveryTableEnabled"),
    "FullLoadSettings": (
        "TargetTablePrepMode", "CreatePkAfterFullLoad", "StopTaskCachedChangesApplied",
        "StopTaskCachedChangesNotApplied", "MaxFullLoadSubTasks",
        "TransactionConsistencyTimeout", "CommitRate"),
    "TTSettings": ("EnableTT", "TTS3Settings", "TTRecordSettings"),
    "Logging": ("EnableLogging", "EnableLogContext", "LogComponents", "CloudWatchLogGroup",
                "CloudWatchLogStream"),
    "ControlTablesSettings": (
        "ControlSchema", "HistoryTimeslotInMinutes", "HistoryTableEnabled",
        "SuspendedTablesTableEnabled", "StatusTableEnabled", "FullLoadExceptionTableEnabled",
        "historyTimeslotInMinutes"),  # AWS's own example spells it both ways
    "StreamBufferSettings": ("StreamBufferCount", "StreamBufferSizeInMB",
                             "CtrlStreamBufferSizeInMB"),
    "ChangeProcessingTuning": (
        "BatchApplyPreserveTransaction", "BatchApplyTimeoutMin", "BatchApplyTimeoutMax",
        "BatchApplyMemoryLimit", "BatchSplitSize", "MinTransactionSize", "CommitTimeout",
        "MemoryLimitTotal", "MemoryKeepTime", "StatementCacheSize", "RecoveryTimeout"),
    "ChangeProcessingDdlHandlingPolicy": (
        "HandleSourceTableDropped", "HandleSourceTableTruncated", "HandleSourceTableAltered"),
    "LoopbackPreventionSettings": ("EnableLoopbackPrevention", "SourceSchema", "TargetSchema"),
    "CharacterSetSettings": ("CharacterReplacements", "CharacterSetSupport"),
    "BeforeImageSettings": ("EnableBeforeImage", "FieldName", "ColumnFilter"),
    "ErrorBehavior": (
        "DataErrorPolicy", "DataTruncationErrorPolicy", "DataMaskingErrorPolicy",
        "DataErrorEscalationPolicy", "DataErrorEscalationCount", "EventErrorPolicy",
        "TableErrorPolicy", "TableErrorEscalationPolicy", "TableErrorEscalationCount",
        "RecoverableErrorCount", "RecoverableErrorInterval", "RecoverableErrorThrottling",
        "RecoverableErrorThrottlingMax", "RecoverableErrorStopRetryAfterThrottlingMax",
        "ApplyErrorDeletePolicy", "ApplyErrorInsertPolicy", "ApplyErrorUpdatePolicy",
        "ApplyErrorEscalationPolicy", "ApplyErrorEscalationCount",
        "ApplyErrorFailOnTruncationDdl", "FullLoadIgnoreConflicts",
        "FailOnTransactionConsistencyBreached", "FailOnNoTablesCaptured"),
    "ValidationSettings": (
        "EnableValidation", "ValidationMode", "ThreadCount", "PartitionSize",
        "FailureMaxCount", "RecordFailureDelayInMinutes", "RecordSuspendDelayInMinutes",
        "MaxKeyColumnSize", "TableFailureMaxCount", "ValidationOnly", "HandleCollationDiff",
        "RecordFailureDelayLimitInMinutes", "SkipLobColumns", "ValidationPartialLobSize",
        "ValidationQueryCdcDelaySeconds"),
    "ResyncSettings": ("EnableResync", "ResyncSchedule", "MaxResyncTime", "ValidationTaskId"),
}
# documented keys outside any section (null when unused, as exports show them)
TOP_LEVEL: tuple[str, ...] = ("PostProcessingRules", "FailTaskWhenCleanTaskResourceFailed")

# the wrappers AWS's API and CLI put around a task's settings
TASK_LISTS = ("ReplicationTasks",)  # describe-replication-tasks
ONE_TASK = ("ReplicationTask",)  # create-/modify-replication-task output
SETTINGS_STRING = "ReplicationTaskSettings"


def documented_names() -> frozenset[str]:
    """Every documented dotted name, every section and every top-level key."""
    names = {f"{section}.{key}" for section, keys in DOCUMENTED.items() for key in keys}
    return frozenset(names | set(DOCUMENTED) | set(TOP_LEVEL))


def load_settings(value: Any, base_dir: Path) -> Mapping[str, Any] | None:
    """``settings:`` as a mapping of task settings: read from a path, unwrapped from
    describe-replication-tasks output, or as written inline."""
    if value is None:
        return None
    where = "settings"
    if isinstance(value, str):
        where = f"settings ({value})"
        value = _read_json(value, base_dir)
    if not isinstance(value, Mapping):
        raise TaskConfigError("settings", "must be a mapping of AWS DMS task settings or the "
                                          "path of a task-settings JSON file")
    return unwrap(value, where)


def _read_json(value: str, base_dir: Path) -> Any:
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base_dir / path
    try:
        return json.loads(path.read_text())
    except OSError as err:
        raise TaskConfigError("settings", f"cannot read {path}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise TaskConfigError("settings", f"{path} is not valid JSON: {err}") from None


def unwrap(doc: Mapping[str, Any], where: str = "settings") -> Mapping[str, Any]:
    """The task settings inside AWS's API shapes; a plain settings document as it is."""
    for key in TASK_LISTS:
        if key in doc:
            tasks = doc[key] or []
            if len(tasks) != 1:
                ids = ", ".join(str(t.get("ReplicationTaskIdentifier")) for t in tasks) or "none"
                raise TaskConfigError(where, f"{key} holds {len(tasks)} tasks ({ids}); keep "
                                             "the one to run (aws dms describe-replication-"
                                             "tasks --filters Name=replication-task-id,Values=ID)")
            return unwrap(tasks[0], where)
    for key in ONE_TASK:
        if key in doc and isinstance(doc[key], Mapping):
            return unwrap(doc[key], where)
    if SETTINGS_STRING in doc:
        text = doc[SETTINGS_STRING]
        try:
            inner = json.loads(text) if isinstance(text, str) else text
        except json.JSONDecodeError as err:
            raise TaskConfigError(where, f"{SETTINGS_STRING} is not valid JSON: {err}") from None
        if not isinstance(inner, Mapping):
            raise TaskConfigError(where, f"{SETTINGS_STRING} is not a JSON object")
        return inner
    return doc


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known dotted name nearest to ``name``: whole name first, then the key alone
    (a right key in the wrong section)."""
    known = sorted(known)
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    if match:
        return match[0]
    leaf = name.rsplit(".", 1)[-1].lower()
    leaves = {n.rsplit(".", 1)[-1].lower(): n for n in known}
    match = difflib.get_close_matches(leaf, list(leaves), n=1, cutoff=0.7)
    return leaves[match[0]] if match else None


def unknown_error(names: list[str], known: Iterable[str]) -> TaskConfigError:
    """One error for every unknown name, each with the closest known name (one name: the
    error's key is that name's dotted path)."""
    known = list(known)
    sections = ", ".join(sorted({n.split(".", 1)[0] for n in known if "." in n}))
    parts = []
    for name in names:
        near = closest(name, known)
        parts.append(f"{name} (did you mean {near}?)" if near else f"{name} (no close name)")
    if len(names) == 1:
        near = closest(names[0], known)
        hint = f"did you mean {near}?" if near else f"known sections: {sections}"
        return TaskConfigError(f"settings.{names[0]}", f"unknown setting; {hint}")
    return TaskConfigError("settings", f"{len(names)} unknown settings: " + "; ".join(parts)
                           + f" (known sections: {sections})")


def ignored_summary(names: Iterable[str]) -> str | None:
    """One line for the documented AWS DMS settings sparkdms does not act on: whole sections
    by name and count, single keys by name."""
    names = sorted(set(names))
    if not names:
        return None
    by_section: dict[str, list[str]] = {}
    for name in names:
        by_section.setdefault(name.split(".", 1)[0], []).append(name)
    parts = []
    for section, items in by_section.items():
        whole = len(items) > 3 or items == [section]
        parts.append(f"{section} ({len(items)})" if whole and items != [section] else
                     section if whole else ", ".join(items))
    return (f"{len(names)} AWS DMS setting(s) have no effect in sparkdms and are ignored: "
            + "; ".join(parts))
