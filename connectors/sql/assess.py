"""What every relational engine's assessment hooks share: the sampling query that counts
every probe of a table in one pass, and catalog queries run with the driver's placeholder.

An engine subclasses ``SqlAssessment`` and fills in its SQL (``connectors/<engine>/assess.py``):
the ``{q}`` templates of a value's length, size and text form, and its catalog queries as
(SQL with ``%s`` for the schema, how many times the schema is bound).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sparkdms.connectors.base import AssessmentHooks

from sparkdms.assess.model import Item, first_line

if TYPE_CHECKING:
    from sparkdms.assess.probes import Probe
    from sparkdms.catalog import Table

CatalogQuery = tuple[str, int]  # SQL with %s for the schema, how many times it is bound


class SqlAssessment(AssessmentHooks):
    TEXT_CAST: ClassVar[str] = "CAST({q} AS CHAR)"  # a value as text (the example shown)
    LENGTH: ClassVar[str | None] = None  # characters of a text value
    BYTES: ClassVar[str | None] = None  # bytes of a value
    VIEWS: ClassVar[CatalogQuery | None] = None  # -> (schema, view, definition)
    TRIGGERS: ClassVar[CatalogQuery | None] = None  # -> (schema, table, trigger, body)
    ROUTINES: ClassVar[CatalogQuery | None] = None  # -> (schema, name, kind, language, body)
    SKIPPED_INDEXES: ClassVar[CatalogQuery | None] = None  # -> (schema, table, index, ddl)
    # (query -> (schema, table, name, detail), level, effort, message with {name} {detail})
    TABLE_FINDINGS: ClassVar[tuple[tuple[str, str, str, str], ...]] = ()
    # (query -> one value, is it fine, what change data capture needs)
    CDC: ClassVar[tuple[tuple[str, Callable[[Any], bool], str], ...]] = ()

    def __init__(self, connector: Any) -> None:
        self.connector = connector

    def q(self, column: str) -> str:
        return self.connector.quote(column)

    def length_sql(self, column: str) -> str | None:
        return None if self.LENGTH is None else self.LENGTH.format(q=self.q(column))

    def bytes_sql(self, column: str) -> str | None:
        return None if self.BYTES is None else self.BYTES.format(q=self.q(column))

    def sample(self, table: Table, probes: Sequence[Probe],
               rows: int) -> tuple[int, list[tuple[int, str | None]]]:
        """One query over a sample of the table: how many rows break each probe, with one
        example."""
        parts = ["COUNT(*)"]
        for p in probes:
            q = self.q(p.column)
            parts.append(f"SUM(CASE WHEN {p.predicate} THEN 1 ELSE 0 END)")
            parts.append(f"MIN(CASE WHEN {p.predicate} THEN {self.TEXT_CAST.format(q=q)} END)")
        name = self.connector.qualify(table.schema, table.name)
        inner = f"SELECT * FROM {name}" + (f" LIMIT {int(rows)}" if rows else "")
        row = self.connector.query(f"SELECT {', '.join(parts)} FROM ({inner}) sdms_sample")[0]
        results = []
        for i in range(len(probes)):
            count, example = row[1 + 2 * i], row[2 + 2 * i]
            results.append((int(count or 0), None if example is None else str(example)[:200]))
        return int(row[0] or 0), results

    def catalog(self, spec: CatalogQuery | None, schema: str) -> list[tuple]:
        if spec is None:
            return []
        sql, n = spec
        if self.connector.P != "%s":
            sql = sql.replace("%s", self.connector.P)
        return self.connector.query(sql, (schema,) * n)

    def views(self, schema: str) -> list[tuple[str, str, str]]:
        return self.catalog(self.VIEWS, schema)

    def triggers(self, schema: str) -> list[tuple[str, str, str, str]]:
        return self.catalog(self.TRIGGERS, schema)

    def routines(self, schema: str) -> list[tuple[str, str, str, str, str]]:
        return self.catalog(self.ROUTINES, schema)

    def skipped_indexes(self, schema: str) -> list[tuple[str, str, str, str]]:
        return self.catalog(self.SKIPPED_INDEXES, schema)

    def table_findings(self, schema: str) -> list[Item]:
        out = []
        for sql, level, effort, message in self.TABLE_FINDINGS:
            for s, table, name, detail in self.catalog((sql, 1), schema):
                out.append(Item("object", level, effort, message.format(name=name, detail=detail),
                                f"{s}.{table}", name))
        return out

    def cdc_checks(self) -> list[Item]:
        out = []
        for sql, ok, message in self.CDC:
            try:
                value = self.connector.query(sql)[0][0]
            except Exception as err:
                out.append(Item("check", "warning", "simple",
                                f"could not read a CDC setting: {first_line(err)}"))
                continue
            if not ok(value):
                out.append(Item("check", "error", "simple", f"{message} (now {value!r})"))
        return out

    def table_exists(self, schema: str, name: str) -> bool | None:
        return self.connector.table_exists(schema, name)

    def sample_query(self, select: str, rows: int) -> tuple[list[str], list[tuple]]:
        conn = self.connector.connect()
        try:
            cur = conn.cursor()
            cur.execute(f"SELECT * FROM ({select}) sdms_view WHERE 1 = 0")
            names = [str(d[0]) for d in cur.description or ()]
            cur.fetchall()
            if not names:
                return names, []
            order = ", ".join(str(i) for i in range(1, len(names) + 1))
            cur.execute(f"SELECT * FROM ({select}) sdms_view ORDER BY {order} LIMIT {int(rows)}")
            return names, [tuple(r) for r in cur.fetchall()]
        finally:
            conn.rollback()  # it only read
            conn.close()
