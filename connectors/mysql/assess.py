"""MySQL's and MariaDB's assessment hooks: probe SQL (zero dates, tinyint(1) booleans, TIME
durations, invalid enum values), the catalog of views, triggers, routines and table
features the load does not carry, binlog settings for change data capture, storage
engines, and what a MySQL target cannot store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sparkdms.connectors.mysql import durations
from sparkdms.connectors.sql.assess import SqlAssessment

from sparkdms.assess.model import Item
from sparkdms.assess.probes import Probe, ProbeContext
from sparkdms.types import parse_native

VIEWS_SQL = ("SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
             "WHERE TABLE_SCHEMA = %s", 1)
TRIGGERS_SQL = ("SELECT EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_STATEMENT "
                "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s", 1)
ROUTINES_SQL = ("SELECT ROUTINE_SCHEMA, ROUTINE_NAME, LOWER(ROUTINE_TYPE), 'sql', "
                "ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s", 1)
# text columns whose collation ignores case (utf8mb4_general_ci, ..._ai_ci, ...)
CI_COLUMNS_SQL = ("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM "
                  "information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND COLLATION_NAME LIKE "
                  "'%%\\_ci' ORDER BY TABLE_NAME, ORDINAL_POSITION")
ENGINES_SQL = ("SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE "
               "TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE'")
TABLE_FINDINGS = (
    ("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, EXTRA FROM information_schema.COLUMNS "
     "WHERE TABLE_SCHEMA = %s AND EXTRA LIKE '%%on update%%'", "warning", "medium",
     "column {name} has {detail}: the target keeps only the default; add a trigger if "
     "applications rely on it"),
    ("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, GENERATION_EXPRESSION FROM "
     "information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND (EXTRA LIKE '%%VIRTUAL GENERATED%%' "
     "OR EXTRA LIKE '%%STORED GENERATED%%')",
     "warning", "medium", "generated column {name} ({detail}) is loaded as plain data; the "
     "expression is not recreated"),
    ("SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, INDEX_TYPE FROM "
     "information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND INDEX_TYPE IN "
     "('FULLTEXT', 'SPATIAL')", "warning", "medium",
     "{detail} index {name} is not recreated (no portable equivalent)"),
)


class MySQLAssessment(SqlAssessment):
    TEXT_CAST = "CAST({q} AS CHAR)"
    LENGTH = "CHAR_LENGTH({q})"
    BYTES = "LENGTH({q})"
    VIEWS = VIEWS_SQL
    TRIGGERS = TRIGGERS_SQL
    ROUTINES = ROUTINES_SQL
    TABLE_FINDINGS = TABLE_FINDINGS
    CDC = (
        ("SELECT @@log_bin", lambda v: str(v).upper() in ("1", "ON"),
         "the binary log must be on (log_bin) for change data capture"),
        ("SELECT @@binlog_format", lambda v: str(v).upper() == "ROW",
         "binlog_format must be ROW for change data capture"),
        ("SELECT @@binlog_row_image", lambda v: str(v).upper() == "FULL",
         "binlog_row_image must be FULL for change data capture"),
    )
    char_padding = ("MySQL/MariaDB strip trailing spaces from CHAR(n) values when they "
                    "return them")
    # as a target
    date_range = ("1000-01-01", "10000-01-01", "MySQL's range 1000-01-01..9999-12-31")
    float_specials = "MySQL"
    # functions sqlglot writes out unchanged although MySQL has no such function
    missing_functions = frozenset({"GenerateSeries", "Explode", "Unnest", "ArrayAgg",
                                   "ToTsvector"})

    def cdc_checks(self) -> list[Item]:
        """The binlog settings above, and binlog_row_metadata=FULL (MariaDB 10.5, MySQL
        8.0.14): without it row images carry no column names and the reader takes today's
        from information_schema, wrong for changes logged before an ALTER TABLE."""
        out = super().cdc_checks()
        try:
            meta = str(self.connector.query("SELECT @@binlog_row_metadata")[0][0]).upper()
        except Exception:
            meta = "unavailable"
        if meta != "FULL":
            out.append(Item("check", "warning", "simple",
                            f"binlog_row_metadata should be FULL for change data capture (now "
                            f"{meta}): row changes then name their columns"))
        return out

    def nul_sql(self, column: str) -> str | None:
        return f"LOCATE(CHAR(0), {self.q(column)}) > 0"

    def decimal_unfit_sql(self, column: str, scale: int, whole: int) -> str | None:
        q = self.q(column)
        return f"({q} <> ROUND({q}, {scale}) OR ABS({q}) >= 1e{whole})"

    def probes(self, ctx: ProbeContext) -> list[Probe]:
        found = (self._zero_dates(ctx), self._tinyint_bool(ctx), self._time(ctx),
                 self._enum_empty(ctx))
        return [p for p in found if p is not None]

    def _zero_dates(self, x: ProbeContext) -> Probe | None:
        if parse_native(x.col.native_type).name not in ("date", "datetime", "timestamp"):
            return None
        mode = self.connector.endpoint.options.get("zero_date", "null")
        q = self.q(x.col.name)
        blocking = mode == "error" or not x.col.nullable
        why = ("the table stops (source.options.zero_date: error)" if mode == "error" else
               "they load as NULL into a NOT NULL column: the table stops" if not x.col.nullable
               else "they load as NULL (source.options.zero_date: null) and are counted")
        return Probe("zero-date", x.col.name, f"(MONTH({q}) = 0 OR DAY({q}) = 0)",
                     "error" if blocking else "warning", "medium" if blocking else "simple",
                     f"{{n}} zero dates (0000-00-00 or a zero month/day): {why}",
                     "fix the rows on the source, or choose source.options.zero_date")

    def _tinyint_bool(self, x: ProbeContext) -> Probe | None:
        if x.col.ltype.kind != "boolean" or not x.col.native_type.lower().startswith("tinyint"):
            return None
        return Probe("tinyint-bool", x.col.name, f"{self.q(x.col.name)} NOT IN (0, 1)", "warning",
                     "simple", "{n} tinyint(1) values other than 0/1 would become true",
                     "set source.options.tinyint1_as_boolean: false to keep the numbers")

    def _time(self, x: ProbeContext) -> Probe | None:
        """TIME durations planned into a time of day (a ``time`` override, or rows beyond
        discovery's sample; see connectors/mysql/durations.py): the table will stop."""
        if x.same_family or not durations.time_of_day_targets(replace(x.tp, columns=(x.cp,))):
            return None
        key = f"{x.tp.source.schema}.{x.tp.source.name}.{x.col.name}"
        return Probe("time-range", x.col.name, durations.outside_day(self.q(x.col.name)),
                     "error", "medium", "{n} MySQL TIME values outside 00:00:00..23:59:59 "
                     f"(durations) do not fit the target's {x.cp.target_type}: the table stops",
                     f"add type_overrides {{\"{key}\": \"interval\"}} (or varchar(16))")

    def _enum_empty(self, x: ProbeContext) -> Probe | None:
        t = x.col.ltype
        if t.kind != "enum" or "" in t.values or x.same_family:
            return None
        return Probe("enum-empty", x.col.name, f"{self.q(x.col.name)} = ''", "warning", "simple",
                     "{n} values are '' (MySQL's invalid-enum marker): the CHECK on the target "
                     "rejects them, so the CHECK will not be created",
                     "clean the values on the source")

    def case_insensitive_columns(self, schema: str) -> list[tuple[str, str, str, str]]:
        return [tuple(r) for r in self.connector.query(CI_COLUMNS_SQL, (schema,))]

    def engine_checks(self, schemas: Sequence[str]) -> list[Item]:
        """Tables of a storage engine without transactions."""
        out = []
        for schema in schemas:
            for name, engine in self.connector.query(ENGINES_SQL, (schema,)):
                if engine and engine.lower() not in ("innodb", "aria"):
                    out.append(Item(
                        "check", "warning", "simple", f"{schema}.{name} uses the {engine} "
                        "storage engine: no transactions, so parallel partitions do not read "
                        "one consistent snapshot", f"{schema}.{name}",
                        action="stop writes during the load"))
        return out
