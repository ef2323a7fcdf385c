"""One exception hierarchy for the whole project.

Every exception keeps its constructor arguments in ``args`` so it pickles
across the Spark driver/executor boundary, and every message names the thing
that is wrong (key, rule, table, column, value) and, where one exists, the
setting that governs it.
"""

from __future__ import annotations


class SparkDmsError(Exception):
    """Base class. ``str(err)`` is the message shown to the user. ``stop_task``: the error's
    policy stops the whole task, not only its table (e.g. DataTruncationErrorPolicy)."""

    stop_task: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # picklable whatever the subclass signature
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[SparkDmsError], state: dict) -> SparkDmsError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


class TerminalError(SparkDmsError):
    """Retrying cannot help (bad config, bad type, bad credentials)."""


class TransientError(SparkDmsError):
    """A retry may help (network blip, lock timeout)."""


class TaskConfigError(TerminalError):
    """The task file is wrong. ``key`` is the dotted path of the bad key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"task file: {key}: {problem}")
        self.key = key
        self.problem = problem


class MappingRuleError(TerminalError):
    """A table-mapping rule is wrong; names the rule id and name."""

    def __init__(self, rule_id: str, rule_name: str, problem: str) -> None:
        super().__init__(f"table mapping rule {rule_id} ({rule_name!r}): {problem}")
        self.rule_id = rule_id
        self.rule_name = rule_name
        self.problem = problem


class UnknownEngineError(TerminalError):
    pass


class EndpointError(TerminalError):
    """Cannot connect, wrong password, missing driver, ... for one endpoint."""

    def __init__(self, role: str, engine: str, problem: str) -> None:
        super().__init__(f"{role} endpoint ({engine}): {problem}")
        self.role = role
        self.engine = engine
        self.problem = problem


class UnsupportedTypeError(TerminalError):
    def __init__(self, table: str, column: str, type_name: str, hint: str = "") -> None:
        msg = f"table {table}, column {column}: type {type_name!r} has no mapping"
        super().__init__(msg + (f"; {hint}" if hint else ""))
        self.table = table
        self.column = column
        self.type_name = type_name


class TableLoadError(SparkDmsError):
    """A table failed during load; ``table`` is schema.table on the source."""

    def __init__(self, table: str, stage: str, problem: str) -> None:
        super().__init__(f"table {table}: {stage} failed: {problem}")
        self.table = table
        self.stage = stage
        self.problem = problem


class DirectCopyRefused(TableLoadError):
    """A direct copy failed because the target refused a row's values (SQLSTATE class
    22/23, a LOAD DATA warning); ``kind``: "data" or "truncation" (sparkdms.load.rejects);
    ``reason``: the target's one-line message. The load may redo the table through Spark
    rows. ``exact``: the DataFrame path would meet the same refusal (a same-engine copy of
    the same values), so an error policy that stops may stop at once; a copy between
    engines is always redone, since Spark's conversions may carry the value."""

    def __init__(self, table: str, reason: str, kind: str = "data", exact: bool = True) -> None:
        super().__init__(table, "direct copy", f"the target refused a row: {reason}")
        self.reason = reason
        self.kind = kind
        self.exact = exact


class SelectionError(TerminalError):
    pass


class LoadConflictError(TerminalError):
    """Another run is loading the same target table right now."""
