"""SQLite's assessment hooks: probe SQL (values that do not match the declared type, which
SQLite does not enforce), views and triggers from sqlite_master, and the functions a
SQLite target lacks."""

from __future__ import annotations

from sparkdms.connectors.sql.assess import SqlAssessment

from sparkdms.assess.probes import Probe, ProbeContext
from sparkdms.types import INTEGER_KINDS

VIEWS_SQL = ("SELECT 'main', name, sql FROM sqlite_master WHERE type = 'view' AND %s = 'main'", 1)
TRIGGERS_SQL = ("SELECT 'main', tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND %s = 'main'", 1)
# the storage classes a value of each logical kind may have
STORAGE_CLASSES = {
    **{k: ("integer",) for k in INTEGER_KINDS}, "boolean": ("integer",),
    "float32": ("real", "integer"), "float64": ("real", "integer"),
    "decimal": ("integer", "real"), "date": ("text",), "timestamp": ("text",),
    "time": ("text",), "char": ("text", "integer", "real"), "varchar": ("text", "integer", "real"),
    "text": ("text", "integer", "real"), "json": ("text",), "uuid": ("text",),
}


class SQLiteAssessment(SqlAssessment):
    TEXT_CAST = "CAST({q} AS TEXT)"
    LENGTH = "length({q})"
    BYTES = "length(CAST({q} AS BLOB))"
    VIEWS = VIEWS_SQL
    TRIGGERS = TRIGGERS_SQL
    enforces_lengths = False  # a declared VARCHAR(n) holds any length
    # as a target: functions sqlglot writes out unchanged although SQLite has none such
    missing_functions = frozenset({"GenerateSeries", "Explode", "Unnest", "ArrayAgg"})

    def nul_sql(self, column: str) -> str | None:
        return f"instr({self.q(column)}, char(0)) > 0"

    def probes(self, ctx: ProbeContext) -> list[Probe]:
        found = self._storage_class(ctx)
        return [] if found is None else [found]

    def _storage_class(self, x: ProbeContext) -> Probe | None:
        allowed = STORAGE_CLASSES.get(x.col.ltype.kind)
        if allowed is None:
            return None
        q = self.q(x.col.name)
        classes = ", ".join(f"'{c}'" for c in allowed)
        pred = f"({q} IS NOT NULL AND typeof({q}) NOT IN ({classes}))"
        if x.col.ltype.kind in ("date", "timestamp"):
            pred = (f"({pred} OR ({q} IS NOT NULL AND {q} NOT GLOB "
                    "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'))")
        if x.col.ltype.kind == "boolean":
            pred = f"({pred} OR {q} NOT IN (0, 1))"
        return Probe("storage-class", x.col.name, pred, "error", "medium",
                     f"{{n}} values do not match the declared type "
                     f"{x.col.native_type or '(none)'} (SQLite does not enforce it; expected "
                     f"{', '.join(allowed)})", "clean the values, or add type_overrides to a "
                     "text type")

    def table_exists(self, schema: str, name: str) -> bool | None:
        return None  # existing SQLite target tables are not reported
