"""Task settings, with AWS DMS's own names.

``SETTINGS`` is the table of every name sparkdms acts on: its kind, default
and allowed values.  ``ACCEPTED_NOT_APPLICABLE`` lists AWS DMS names that a
team may paste from an existing task but that have no meaning for a Spark
full load; they are accepted and reported in one summary line.  Any other name is an
error (all unknown names at once, each with the closest known name); ``null`` means "not
set". ``settings:`` may also be a path to AWS's exported JSON (aws_settings.load_settings).
Our own knobs live under the ``Sparkdms`` section. Engines register their own
settings (``EngineSpec.settings``, e.g. ``Sparkdms.FetchSize`` for JDBC reads): a task
accepts the core's names plus those of its two engines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sparkdms.errors import TaskConfigError
from sparkdms.task.aws_settings import TOP_LEVEL, documented_names, unknown_error

PREP_MODES = ("DO_NOTHING", "TRUNCATE_BEFORE_LOAD", "DROP_AND_CREATE")
ERROR_POLICIES = ("LOG_ERROR", "IGNORE_RECORD", "SUSPEND_TABLE", "STOP_TASK")


@dataclass(frozen=True)
class Setting:
    kind: type
    default: Any
    choices: tuple[str, ...] = ()
    minimum: int | None = None


def _enum(default: str, choices: tuple[str, ...]) -> Setting:
    return Setting(str, default, choices)


def _int(default: int, minimum: int = 0) -> Setting:
    return Setting(int, default, minimum=minimum)


SETTINGS: dict[str, Setting] = {
    "FullLoadSettings.TargetTablePrepMode": _enum("DROP_AND_CREATE", PREP_MODES),
    "FullLoadSettings.MaxFullLoadSubTasks": _int(8, 1),
    "FullLoadSettings.CommitRate": _int(10000, 1),
    "FullLoadSettings.CreatePkAfterFullLoad": Setting(bool, False),
    "TargetMetadata.TargetSchema": Setting(str, ""),
    "TargetMetadata.ParallelLoadThreads": _int(0),
    "TargetMetadata.SupportLobs": Setting(bool, True),
    "TargetMetadata.LimitedSizeLobMode": Setting(bool, False),
    "TargetMetadata.LobMaxSize": _int(0),
    "ControlTablesSettings.ControlSchema": Setting(str, ""),
    "ValidationSettings.EnableValidation": Setting(bool, False),
    "ValidationSettings.ValidationOnly": Setting(bool, False),
    "ValidationSettings.PartitionSize": _int(1000, 1),  # rows per first checksum range
    "ValidationSettings.ThreadCount": _int(5, 1),
    "ValidationSettings.FailureMaxCount": _int(10000, 0),
    "ValidationSettings.TableFailureMaxCount": _int(1000, 0),
    "ValidationSettings.HandleCollationDiff": Setting(bool, False),
    "ValidationSettings.SkipLobColumns": Setting(bool, False),
    # validation (sparkdms/validate): a great-expectations suite per table, and where
    # its Data Docs HTML goes ("" = none)
    "Sparkdms.ValidationExpectations": Setting(bool, True),
    "Sparkdms.ValidationDataDocs": Setting(str, ""),
    "ErrorBehavior.DataTruncationErrorPolicy": _enum("LOG_ERROR", ERROR_POLICIES),
    "ErrorBehavior.DataErrorPolicy": _enum("LOG_ERROR", ERROR_POLICIES),
    "ErrorBehavior.TableErrorPolicy": _enum("SUSPEND_TABLE", ("SUSPEND_TABLE", "STOP_TASK")),
    # rows the target refuses (sparkdms/load/rejects.py): past DataErrorEscalationCount
    # rejected rows of a table (0 = no limit) the table fails, or the task stops
    "ErrorBehavior.DataErrorEscalationPolicy": _enum("SUSPEND_TABLE",
                                                     ("SUSPEND_TABLE", "STOP_TASK")),
    "ErrorBehavior.DataErrorEscalationCount": _int(0),
    # the selection rules match no table: the task fails (else it runs, loading nothing)
    "ErrorBehavior.FailOnNoTablesCaptured": Setting(bool, True),
    # sparkdms's own knobs
    "Sparkdms.RowsPerPartition": _int(250_000, 1),
    # a plain local master whose tables are all direct copies runs them in Python worker
    # processes and starts Spark only if a table needs it (sparkdms/localrun.py)
    "Sparkdms.DirectCopyWithoutJvm": Setting(bool, True),
    "Sparkdms.MaxPartitionsPerTable": _int(64, 1),
    # target objects after the load (connectors/sql/objects/); PKs follow
    # FullLoadSettings.CreatePkAfterFullLoad as in AWS DMS
    "Sparkdms.CreateSecondaryIndexes": Setting(bool, True),  # indexes and unique constraints
    "Sparkdms.CreateForeignKeys": Setting(bool, True),
    "Sparkdms.CreateCheckConstraints": Setting(bool, True),  # portable checks, enum/set members
    "Sparkdms.CreateColumnDefaults": Setting(bool, True),  # portable literal/now() defaults
    "Sparkdms.CreateIdentity": Setting(bool, True),  # identity/auto_increment past the max
    "Sparkdms.IdentifierCase": _enum("keep", ("keep", "lower", "upper", "target")),
    "Sparkdms.AssessSampleRows": _int(100_000, 0),  # rows sampled per table; 0 = all
    # change data capture (sparkdms/cdc): BatchApplyEnabled applies the net change per key of
    # each batch (deletes, then upserts); else every change in commit order, one target
    # transaction per batch of whole transactions of about MinTransactionSize changes
    # (BatchSplitSize > 0 caps a batch); --follow polls every BatchApplyTimeoutMin seconds
    "TargetMetadata.BatchApplyEnabled": Setting(bool, False),
    "ChangeProcessingTuning.MinTransactionSize": _int(1000, 1),
    "ChangeProcessingTuning.BatchSplitSize": _int(0),
    "ChangeProcessingTuning.BatchApplyTimeoutMin": _int(1),
    "ChangeProcessingDdlHandlingPolicy.HandleSourceTableDropped": Setting(bool, True),
    "ChangeProcessingDdlHandlingPolicy.HandleSourceTableTruncated": Setting(bool, True),
    "ChangeProcessingDdlHandlingPolicy.HandleSourceTableAltered": Setting(bool, True),
    # a change the target refuses (sparkdms/cdc/apply.py): LOG_ERROR records it in
    # awsdms_apply_exceptions and goes on; SUSPEND_TABLE / STOP_TASK stop the run
    "ErrorBehavior.ApplyErrorDeletePolicy": _enum("IGNORE_RECORD", ERROR_POLICIES),
    "ErrorBehavior.ApplyErrorInsertPolicy": _enum("LOG_ERROR", (*ERROR_POLICIES,
                                                                "INSERT_RECORD")),
    "ErrorBehavior.ApplyErrorUpdatePolicy": _enum("LOG_ERROR", (*ERROR_POLICIES,
                                                                "UPDATE_RECORD")),
    "ErrorBehavior.ApplyErrorEscalationPolicy": _enum("LOG_ERROR", ("LOG_ERROR", "SUSPEND_TABLE",
                                                                    "STOP_TASK")),
    "ErrorBehavior.ApplyErrorEscalationCount": _int(0),
}

# every key the AWS DMS user guide documents (sparkdms/task/aws_settings.py) that sparkdms
# does not act on: accepted, and reported once in one summary line
ACCEPTED_NOT_APPLICABLE: frozenset[str] = documented_names() - frozenset(SETTINGS)


def _flatten(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and name.count(".") == 0 and "." not in str(key):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _coerce(name: str, spec: Setting, value: Any) -> Any:
    key = f"settings.{name}"
    if spec.kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise TaskConfigError(key, f"expected true or false, got {value!r}")
    if spec.kind is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TaskConfigError(key, f"expected an integer, got {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise TaskConfigError(key, f"expected an integer, got {value!r}") from None
        if spec.minimum is not None and number < spec.minimum:
            raise TaskConfigError(key, f"must be >= {spec.minimum}, got {number}")
        return number
    if not isinstance(value, str):
        raise TaskConfigError(key, f"expected a string, got {value!r}")
    if spec.choices and value not in spec.choices:
        raise TaskConfigError(key, f"{value!r} is not one of {', '.join(spec.choices)}")
    return value


def _registered(engines: tuple[str, ...] | None) -> dict[str, Setting]:
    """Settings engines register: the named ones, or every registered engine's."""
    from sparkdms.registry import engine_settings, specs

    return engine_settings(list(specs()) if engines is None else list(engines))


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Any]
    ignored: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Any:
        spec = SETTINGS.get(name) or _registered(None).get(name)
        if spec is None:
            raise KeyError(name)
        return self.values.get(name, spec.default)

    @classmethod
    def parse(cls, doc: Mapping[str, Any] | None,
              engines: tuple[str, ...] | None = None) -> Settings:
        """Accept AWS's nested JSON shape or dotted names; reject unknown names. ``engines``:
        the task's engines, whose registered settings are accepted too (None: any engine's)."""
        if doc is None:
            return cls({})
        if not isinstance(doc, Mapping):
            raise TaskConfigError("settings", "must be a mapping of AWS DMS task settings")
        known = {**SETTINGS, **_registered(engines)}
        values: dict[str, Any] = {}
        ignored: list[str] = []
        unknown: list[str] = []
        sections = {n.split(".", 1)[0] for n in known}
        for name, value in _flatten(doc).items():
            if value is None and (name in known or name in sections
                                  or name in ACCEPTED_NOT_APPLICABLE):
                continue  # AWS exports write null for "not set": the default applies
            if name in known:
                values[name] = _coerce(name, known[name], value)
            elif name in ACCEPTED_NOT_APPLICABLE or name.split(".", 1)[0] in TOP_LEVEL:
                ignored.append(name)
            else:
                unknown.append(name)
        if unknown:  # all of them at once, each with the closest known name
            raise unknown_error(unknown, [*known, *ACCEPTED_NOT_APPLICABLE])
        return cls(values, tuple(ignored))
