"""What ``sparkdms assess`` learns from a MongoDB source: the sampled schema of each
collection, fields whose type varies (and how they are widened), fields NestingLevel one
cannot flatten, sub-documents deeper than the flattening (kept as JSON text), and values a
relational target holds only as their Extended JSON text (regex, code, min/max keys, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkdms.connectors.base import AssessmentHooks
from sparkdms.connectors.mongodb.schema import JSON_ONLY, Shape
from sparkdms.connectors.mongodb.types import spelling

from sparkdms.assess.model import Item

if TYPE_CHECKING:
    from sparkdms.connectors.mongodb.source import MongoSource

# attributes of the target role's hooks kept when both roles share one hooks object
TARGET_ATTRS = ("nul_in_text", "date_range", "float_specials", "missing_functions",
                "case_sensitive_text", "char_padding", "table_exists")


class MongoSourceHooks(AssessmentHooks):
    def __init__(self, source: MongoSource, target_hooks: AssessmentHooks | None = None) -> None:
        self.source = source
        for name in TARGET_ATTRS if target_hooks is not None else ():
            setattr(self, name, getattr(target_hooks, name))

    def table_findings(self, schema: str) -> list[Item]:
        out: list[Item] = []
        for (database, _), shape in sorted(self.source.shapes.items()):
            if database == schema:
                out += shape_items(shape)
        return out


def shape_items(shape: Shape) -> list[Item]:
    """The findings about one sampled collection."""
    label = shape.label
    mode = "table mode (NestingLevel one)" if shape.mode == "table" else \
        "document mode (NestingLevel none)"
    cols = ", ".join(f"{f.name} {f.native}" for f in shape.fields)
    out = [Item("data", "info", "simple", f"{mode}: schema sampled from {shape.sampled:,} "
                f"document(s): {cols}", label,
                action="raise DocsToInvestigate if rare fields may be missing from the sample")]
    out += [Item("type", "warning", "simple", f"field {f.name} has types {spelling(f.types)}: "
                 f"{note}", label, f.name, action="make the field one type on the source, or "
                 "accept the widened column") for f, note in shape.varying()]
    out += [Item("data", "error", "medium", f"field {c.field} {c.describe()}", label, c.field,
                 action="use NestingLevel none (document mode), or make the field one shape")
            for c in shape.conflicts]
    out += [Item("data", "warning", "simple", f"field {f.name}: {f.deep} sampled value(s) are "
                 "sub-documents deeper than NestingLevel one; they load as JSON text", label,
                 f.name) for f in shape.fields if f.deep]
    out += [Item("type", "warning", "simple", f"field {f.name} holds {', '.join(sorted(odd))} "
                 "values, which a relational target keeps only as their Extended JSON text",
                 label, f.name) for f in shape.fields if (odd := f.types & JSON_ONLY)]
    return out
