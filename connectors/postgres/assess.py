"""PostgreSQL's assessment hooks: probe SQL, the catalog of views, triggers, routines and
what the load does not recreate, change data capture settings, and what a PostgreSQL
target cannot store."""

from __future__ import annotations

from collections.abc import Sequence

from sparkdms.connectors.postgres import gaps
from sparkdms.connectors.sql.assess import SqlAssessment

from sparkdms.assess.model import Item
from sparkdms.assess.probes import Probe, ProbeContext

VIEWS_SQL = ("SELECT schemaname, viewname, definition FROM pg_views WHERE schemaname = %s "
             "UNION ALL SELECT schemaname, matviewname, definition FROM pg_matviews "
             "WHERE schemaname = %s", 2)
TRIGGERS_SQL = ("SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = "
                "c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = %s", 1)
ROUTINES_SQL = ("SELECT n.nspname, p.proname, CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' "
                "THEN 'aggregate' ELSE 'function' END, l.lanname, "
                "CASE WHEN p.prokind = 'a' THEN '' ELSE pg_get_functiondef(p.oid) END "
                "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "JOIN pg_language l ON l.oid = p.prolang WHERE n.nspname = %s AND NOT EXISTS "
                "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')", 1)
SKIPPED_INDEXES_SQL = ("""
SELECT n.nspname, t.relname, i.relname, pg_get_indexdef(ix.indexrelid)
FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE (ix.indexprs IS NOT NULL OR ix.indpred IS NOT NULL) AND n.nspname = %s
""", 1)
GENERATED_SQL = ("SELECT n.nspname, c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid) "
                 "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                 "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attrdef d ON "
                 "d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attgenerated <> '' "
                 "AND n.nspname = %s")


class PostgresAssessment(SqlAssessment):
    TEXT_CAST = "CAST({q} AS text)"
    LENGTH = "char_length(CAST({q} AS text))"
    BYTES = "octet_length({q})"
    VIEWS = VIEWS_SQL
    TRIGGERS = TRIGGERS_SQL
    ROUTINES = ROUTINES_SQL
    SKIPPED_INDEXES = SKIPPED_INDEXES_SQL
    TABLE_FINDINGS = (
        (GENERATED_SQL, "warning", "medium", "generated column {name} ({detail}) is loaded as "
         "plain data; the expression is not recreated"),
        *gaps.FINDINGS,  # partitioned tables, indexes and keys only on partitions
    )
    CDC = (
        ("SELECT current_setting('wal_level')", lambda v: v == "logical",
         "wal_level must be 'logical' for change data capture"),
        ("SELECT current_setting('max_replication_slots')::int", lambda v: int(v) > 0,
         "max_replication_slots must be at least 1 for change data capture"),
    )
    # as a target
    nul_in_text = "PostgreSQL text"
    case_sensitive_text = "PostgreSQL compares text case-sensitively"
    char_padding = ("PostgreSQL returns CHAR(n) values padded with spaces to n and ignores "
                    "trailing spaces when it compares them")

    def engine_checks(self, schemas: Sequence[str]) -> list[Item]:
        return gaps.matview_items(self.connector, schemas)

    def decimal_unfit_sql(self, column: str, scale: int, whole: int) -> str | None:
        q = self.q(column)
        return (f"({q} = 'NaN'::numeric OR {q} <> ROUND({q}, {scale}) OR "
                f"ABS({q}) >= 1e{whole})")

    def probes(self, ctx: ProbeContext) -> list[Probe]:
        found = (self._infinite(ctx), self._float_special(ctx))
        return [p for p in found if p is not None]

    def _infinite(self, x: ProbeContext) -> Probe | None:
        if x.col.ltype.kind not in ("date", "timestamp", "timestamptz"):
            return None
        q = self.q(x.col.name)
        if x.target.date_range is not None:
            low, high, described = x.target.date_range
            return Probe("date-range", x.col.name, f"(NOT isfinite({q}) OR {q} < '{low}' OR "
                         f"{q} >= '{high}')", "warning", "medium",
                         f"{{n}} values are infinite or outside {described}",
                         "check these rows; infinity cannot be carried")
        return Probe("infinity", x.col.name, f"NOT isfinite({q})", "error", "medium",
                     "{n} values are 'infinity' / '-infinity', which Spark cannot carry",
                     "replace them on the source or add type_overrides to text")

    def _float_special(self, x: ProbeContext) -> Probe | None:
        if x.col.ltype.kind not in ("float32", "float64") or not x.target.float_specials:
            return None
        q = self.q(x.col.name)
        return Probe("float-special", x.col.name, f"{q} IN ('NaN', 'Infinity', '-Infinity')",
                     "error", "medium",
                     f"{{n}} values are NaN or infinite, which {x.target.float_specials} cannot "
                     "store", "replace them on the source, or add type_overrides to varchar(32)")
