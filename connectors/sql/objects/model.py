"""The values the objects stages pass around: stages, statements, errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sparkdms.errors import SparkDmsError

STAGES = ("type", "identity", "default", "unique", "check", "index", "foreign-key", "restore")
FATAL = ("identity", "unique", "index", "foreign-key", "restore")
GATES = {"identity": "Sparkdms.CreateIdentity", "default": "Sparkdms.CreateColumnDefaults",
         "unique": "Sparkdms.CreateSecondaryIndexes", "index": "Sparkdms.CreateSecondaryIndexes",
         "check": "Sparkdms.CreateCheckConstraints", "foreign-key": "Sparkdms.CreateForeignKeys"}


class ObjectsError(SparkDmsError):
    """Some indexes / constraints could not be created after the load."""

    def __init__(self, failures: list[str], summary: str = "") -> None:
        super().__init__(f"{len(failures)} object(s) could not be created after the load: "
                         + "; ".join(failures) + (f" ({summary})" if summary else ""))
        self.failures = failures
        self.summary = summary


@dataclass(frozen=True)
class Stmt:
    stage: str
    table: str  # target label
    name: str
    sql: tuple[str, ...]  # run in one transaction
    note: str = ""  # why it was skipped (sql empty)
    optional: bool = False  # a failure is a note, not a task error (an index needing an extension)

    @property
    def fatal(self) -> bool:
        return self.stage in FATAL and not self.optional


class Referencing(NamedTuple):
    """A foreign key on the target that points at a table about to be replaced: how to
    drop it before the load and how to add it back (``SqlConnector.referencing_foreign_keys``)."""

    schema: str
    table: str
    name: str
    drop: str
    add: str
