"""Task settings, with AWS DMS's own names.

``SETTINGS`` is the table of every name sparkdms acts on: its kind, default
and allowed values.  ``ACCEPTED_NOT_APPLICABLE`` lists AWS DMS names that a
team may paste from an existing task but that have no meaning for a Spark
full load; they are accepted with a warning.  Any other name is an error.
Our own knobs live under the ``Sparkdms`` section. Engines register their own
settings (``EngineSpec.settings``, e.g. ``Sparkdms.FetchSize`` for JDBC reads): a task
accepts the core's names plus those of its two engines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sparkdms.errors import TaskConfigError

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
}

ACCEPTED_NOT_APPLICABLE: frozenset[str] = frozenset(
    {
        "FullLoadSettings.StopTaskCachedChangesApplied",
        "FullLoadSettings.StopTaskCachedChangesNotApplied",
        "FullLoadSettings.TransactionConsistencyTimeout",
        "TargetMetadata.FullLobMode",
        "TargetMetadata.LobChunkSize",
        "TargetMetadata.InlineLobMaxSize",
        "TargetMetadata.BatchApplyEnabled",
        "TargetMetadata.TaskRecoveryTableEnabled",
        "TargetMetadata.ParallelLoadQueuesPerThread",
        "TargetMetadata.ParallelLoadBufferSize",
        "TargetMetadata.ParallelApplyThreads",
        "TargetMetadata.ParallelApplyBufferSize",
        "TargetMetadata.ParallelApplyQueuesPerThread",
        "Logging.EnableLogging",
        "Logging.LogComponents",
        "ValidationSettings.ValidationMode",
        "ValidationSettings.RecordFailureDelayLimitInMinutes",
        "ValidationSettings.RecordSuspendDelayInMinutes",
        "ValidationSettings.MaxKeyColumnSize",
        "ValidationSettings.ValidationPartialLobSize",
        "ValidationSettings.ValidationQueryCdcDelaySeconds",
        "ValidationSettings.TableFailureMaxCount",
    }
) - frozenset(SETTINGS)


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
        for name, value in _flatten(doc).items():
            if name in known:
                values[name] = _coerce(name, known[name], value)
            elif name in ACCEPTED_NOT_APPLICABLE:
                ignored.append(name)
            else:
                raise TaskConfigError(f"settings.{name}", _unknown_hint(name, known))
        return cls(values, tuple(ignored))


def _unknown_hint(name: str, known: Mapping[str, Setting]) -> str:
    section = name.split(".", 1)[0]
    near = sorted(n for n in known if n.startswith(section + "."))
    if near:
        return "unknown setting; known in this section: " + ", ".join(near)
    sections = sorted({n.split(".", 1)[0] for n in known})
    return "unknown setting; known sections: " + ", ".join(sections)
