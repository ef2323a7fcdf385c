"""Objects the load does not carry: the source's views (converted to the target dialect
with sqlglot), triggers, routines, indexes it skips and engine-specific table features,
and the defaults, checks and keys the target will not create after the load."""

from __future__ import annotations

from typing import Any

from sparkdms.assess.model import Assessment, Item, TableReport, first_line
from sparkdms.assess.probes import hooks_of
from sparkdms.assess.views import VIEW_SAMPLE_ROWS, compare_view
from sparkdms.connectors.base import Source, Target
from sparkdms.plan import Plan
from sparkdms.plan.typemap import dialect


def convert_view(definition: str, source_engine: str, target_engine: str,
                 names: dict[tuple[str, str], tuple[str, str]] | None = None,
                 schema: str = "", missing: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """The view's query in the target dialect, tables renamed to their target names, and
    the functions that may not exist on the target (unknown to sqlglot, or in ``missing``,
    the sqlglot function classes the target lacks); raises where sqlglot cannot carry it."""
    import sqlglot
    from sqlglot import exp

    read = dialect(source_engine).sqlglot
    write = dialect(target_engine).sqlglot
    if read is None or write is None:
        raise ValueError(f"no SQL dialect for {source_engine} -> {target_engine}")
    tree = sqlglot.parse_one(definition.strip().rstrip(";"), read=read)
    if isinstance(tree, exp.Create):
        tree = tree.expression
    for table in tree.find_all(exp.Table):
        hit = (names or {}).get((table.db or schema, table.name))
        if hit is not None:
            table.set("db", exp.to_identifier(hit[0]) if hit[0] else None)
            table.set("this", exp.to_identifier(hit[1]))
    doubtful = sorted({f.name.upper() if isinstance(f, exp.Anonymous) else type(f).__name__
                       for f in tree.find_all(exp.Func)
                       if isinstance(f, exp.Anonymous) or type(f).__name__ in missing})
    sql = tree.sql(dialect=write, pretty=True, identify=True,
                   unsupported_level=sqlglot.ErrorLevel.RAISE)
    return sql, doubtful


def view_items(source: Source, target: Target, schemas: list[str], plan: Plan,
               assessment: Assessment, sample_rows: int = VIEW_SAMPLE_ROWS) -> None:
    """Each view converted (or not) and, when converted, compared on a sample."""
    by_source = {(t.source.schema, t.source.name): t for t in plan.tables}
    names = {k: (t.target_schema, t.target_name) for k, t in by_source.items()}
    missing = hooks_of(target).missing_functions
    for schema in schemas:
        for s, name, definition in hooks_of(source).views(schema):
            label = f"{s}.{name}"
            where = by_source.get((s, name))
            target_name = where.target_label if where else label
            try:
                sql, doubtful = convert_view(definition or "", source.engine, target.engine,
                                             names, s, missing)
            except Exception as err:
                assessment.objects.append(Item(
                    "view", "warning", "medium", f"view {label}: sqlglot could not convert its "
                    f"definition to {target.engine}: {first_line(err)} (so not compared on "
                    "a sample)", label,
                    action="rewrite the view by hand on the target", example=(definition or "")[:400]))
                continue
            assessment.converted_views.append({"source": label, "target": target_name,
                                               "sql": sql})
            loaded = " (its rows are also loaded as a table)" if where else ""
            if doubtful:
                assessment.objects.append(Item(
                    "view", "warning", "medium", f"view {label} converted to {target.engine}"
                    f"{loaded}, but uses {', '.join(doubtful)}, which {target.engine} may not "
                    "have", label, action="check those functions, then create the view from "
                    "converted_views"))
            else:
                assessment.objects.append(Item(
                    "view", "info", "simple", f"view {label} converted to {target.engine}"
                    f"{loaded}; review and create it after the load", label,
                    action="create it on the target from converted_views"))
            assessment.objects.append(compare_view(source, target, s, name, sql, sample_rows))


def trigger_items(source: Source, target: Target, schemas: list[str],
                  assessment: Assessment) -> None:
    for schema in schemas:
        for s, table, name, body in hooks_of(source).triggers(schema):
            lines = len(str(body or "").splitlines())
            effort = "significant" if lines > 30 else "medium"
            assessment.objects.append(Item(
                "trigger", "warning", effort, f"trigger {name} on {s}.{table} is not migrated "
                f"({lines} line(s))", f"{s}.{table}", action=f"rewrite it for {target.engine} "
                "and create it after the load (it would fire during the load otherwise)",
                example=str(body or "")[:400]))


def routine_items(source: Source, target: Target, schemas: list[str],
                  assessment: Assessment) -> None:
    for schema in schemas:
        for s, name, kind, language, body in hooks_of(source).routines(schema):
            lines = len(str(body or "").splitlines())
            effort = "significant" if lines > 40 or language not in ("sql", "plpgsql") \
                else "medium"
            assessment.objects.append(Item(
                "routine", "warning", effort, f"{kind} {s}.{name} ({language}, {lines} line(s)) "
                "is not migrated", f"{s}.{name}", action=f"rewrite it for {target.engine}",
                example=str(body or "")[:400]))


def skipped_index_items(source: Source, target: Target, schemas: list[str],
                        reports: dict[str, TableReport]) -> None:
    """Expression / partial indexes, on a target that creates no objects after the load
    (object_items says them otherwise, from what post_load would create)."""
    if target.capabilities.creates_objects_after_load:
        return
    for schema in schemas:
        for s, table, name, definition in hooks_of(source).skipped_indexes(schema):
            report = reports.get(f"{s}.{table}")
            if report is not None:
                report.items.append(Item("object", "warning", "medium", f"index {name} uses an "
                                         "expression or a WHERE clause and is not recreated",
                                         report.source, action="create it by hand",
                                         example=definition))


def table_finding_items(source: Source, schemas: list[str],
                        reports: dict[str, TableReport]) -> None:
    """The source engine's own findings about tables (generated columns, special indexes)."""
    for schema in schemas:
        for item in hooks_of(source).table_findings(schema):
            report = reports.get(item.table or "")
            if report is not None:
                report.items.append(item)


def object_items(target: Target, plan: Plan, settings: Any,
                 reports: dict[str, TableReport]) -> None:
    """Defaults, checks, identities and foreign keys that post_load would not create."""
    if not target.capabilities.creates_objects_after_load:
        return
    by_target = {t.target_label: t for t in plan.tables}
    for st in target.planned_objects(plan.tables, settings):
        if st.sql:
            continue
        tp = by_target.get(st.table)
        report = reports.get(tp.source_label) if tp else None
        if report is not None and not any(i.category == "object" and i.column == st.name
                                          for i in report.items):  # said by the engine already
            report.items.append(Item("object", "warning", "medium", f"{st.stage} {st.name}: "
                                     f"{st.note}", report.source, action="create it by hand "
                                     "after the load if it matters"))
