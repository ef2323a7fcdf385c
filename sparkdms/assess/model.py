"""What an assessment is made of: items with a level and an effort grade, per-column and
per-table reports, and the whole assessment with its summary verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

EFFORTS = ("simple", "medium", "significant")
LEVELS = ("info", "warning", "error")


@dataclass
class Item:
    category: str  # type, lossy, key, lob, name, data, object, view, trigger, routine, check
    level: str  # info | warning | error
    effort: str  # simple | medium | significant
    message: str
    table: str | None = None
    column: str | None = None
    action: str = ""
    example: str = ""


@dataclass
class ColumnReport:
    name: str
    target_name: str
    source_type: str
    target_type: str
    notes: list[str] = field(default_factory=list)


@dataclass
class TableReport:
    source: str
    target: str
    rows: int
    primary_key: list[str]
    columns: list[ColumnReport] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    sampled_rows: int | None = None

    @property
    def effort(self) -> str:
        graded = [i.effort for i in self.items if i.level != "info"] or ["simple"]
        return max(graded, key=EFFORTS.index)


@dataclass
class Assessment:
    task: str
    source: str
    target: str
    generated: str
    tables: list[TableReport] = field(default_factory=list)
    objects: list[Item] = field(default_factory=list)  # views, triggers, routines
    checks: list[Item] = field(default_factory=list)  # engine / task level
    converted_views: list[dict[str, str]] = field(default_factory=list)

    def items(self) -> list[Item]:
        return [i for t in self.tables for i in t.items] + self.objects + self.checks

    def summary(self) -> dict[str, Any]:
        items = self.items()
        return {
            "tables": len(self.tables),
            "levels": {lv: sum(i.level == lv for i in items) for lv in LEVELS},
            "table_effort": {e: sum(t.effort == e for t in self.tables) for e in EFFORTS},
            "object_effort": {e: sum(i.effort == e for i in self.objects) for e in EFFORTS},
            "blocking": [i.message for i in items if i.level == "error"][:50],
            # the task can run only when no error item stands: an error is a refusal (type,
            # name) or a table or object that will fail (data, checks, ...)
            "runnable": not any(i.level == "error" for i in items),
            "refused": any(i.level == "error" and i.category in ("type", "name")
                           for i in items),
        }

    def as_dict(self) -> dict[str, Any]:
        data = {"task": self.task, "source": self.source, "target": self.target,
                "generated": self.generated, "summary": self.summary(),
                "tables": [], "objects": [asdict(i) for i in self.objects],
                "checks": [asdict(i) for i in self.checks],
                "converted_views": self.converted_views}
        for t in self.tables:
            entry = asdict(t)
            entry["effort"] = t.effort
            data["tables"].append(entry)
        return data


def first_line(err: BaseException) -> str:
    """The first line of an error, for an item's message."""
    return (str(err).strip().splitlines() or [repr(err)])[0][:300]
