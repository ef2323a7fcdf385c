"""The assessment's pieces without servers: which data probes a column gets (and their
SQL), effort grades, the summary verdict, and the HTML page (escaped, self-contained)."""

from __future__ import annotations

import pytest
from sparkdms.connectors.mysql.connector import MariaDBConnector
from sparkdms.connectors.postgres.connector import PostgresConnector
from sparkdms.connectors.sqlite.connector import SQLiteConnector

from sparkdms.assess import Assessment, Item, TableReport, table_probes
from sparkdms.assess.html import render
from sparkdms.catalog import Column, Table
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.plan.typemap import dialect
from sparkdms.task import Endpoint
from sparkdms.task.settings import Settings


def connector(engine: str, role: str, **options: object) -> object:
    if engine == "sqlite":
        return SQLiteConnector(Endpoint(role=role, engine="sqlite", path="/tmp/x.db"))
    cls = PostgresConnector if engine == "postgres" else MariaDBConnector
    return cls(Endpoint(role=role, engine=engine, host="h", database="d", user="u",
                        options=options))


def probes(source_engine: str, native: str, target_engine: str, target_type: str | None = None,
           nullable: bool = True, settings: dict | None = None, **options: object) -> dict:
    source = connector(source_engine, "source", **options)
    target = connector(target_engine, "target")
    col = Column("c", native, source.to_logical(native), nullable)
    chosen = target_type or target.native_type(col.ltype)
    tp = TablePlan(Table("s", "t", (col,)), "s", "t", (ColumnPlan("c", col, col.ltype, chosen),))
    found = table_probes(source, target, tp, dialect(target_engine), Settings.parse(settings))
    return {p.code: p for p in found}


@pytest.mark.parametrize(("source", "native", "target", "target_type", "codes"), [
    ("mariadb", "date", "postgres", None, {"zero-date"}),
    ("mariadb", "datetime(6)", "postgres", None, {"zero-date"}),
    ("mariadb", "tinyint(1)", "postgres", None, {"tinyint-bool"}),
    ("mariadb", "time", "postgres", None, {"time-range"}),
    ("mariadb", "time", "mariadb", None, set()),
    ("mariadb", "text", "postgres", None, {"nul-char"}),
    ("mariadb", "int", "postgres", None, set()),
    ("postgres", "timestamp without time zone", "postgres", None, {"infinity"}),
    ("postgres", "date", "mariadb", None, {"date-range"}),
    ("postgres", "numeric", "mariadb", None, {"decimal-fit"}),
    ("postgres", "numeric(12,2)", "mariadb", None, set()),
    ("postgres", "double precision", "mariadb", None, {"float-special"}),
    ("postgres", "double precision", "postgres", None, set()),
    ("postgres", "text", "mariadb", "varchar(768)", {"length"}),
    ("postgres", "character varying(10)", "mariadb", None, set()),
    ("sqlite", "VARCHAR(10)", "postgres", None, {"length", "nul-char", "storage-class"}),
    ("sqlite", "INTEGER", "postgres", None, {"storage-class"}),
    ("sqlite", "BLOB", "postgres", None, set()),
    ("mariadb", "enum('a','b')", "postgres", None, {"enum-empty", "nul-char"}),
])
def test_which_probes_a_column_gets(source: str, native: str, target: str,
                                    target_type: str | None, codes: set) -> None:
    assert set(probes(source, native, target, target_type)) == codes


def test_zero_date_probe_follows_the_endpoint_option_and_nullability() -> None:
    lenient = probes("mariadb", "date", "postgres")["zero-date"]
    strict = probes("mariadb", "date", "postgres", zero_date="error")["zero-date"]
    not_null = probes("mariadb", "date", "postgres", nullable=False)["zero-date"]
    assert lenient.level == "warning" and "load as NULL" in lenient.message
    assert strict.level == "error" and "stops" in strict.message
    assert not_null.level == "error" and "NOT NULL" in not_null.message
    assert lenient.predicate == "(MONTH(`c`) = 0 OR DAY(`c`) = 0)"


def test_limited_lob_mode_probe() -> None:
    found = probes("postgres", "text", "postgres",
                   settings={"TargetMetadata": {"LimitedSizeLobMode": True, "LobMaxSize": 32}})
    assert found["lob-size"].predicate == 'octet_length("c") > 32768'


def test_decimal_probe_sql() -> None:
    p = probes("postgres", "numeric", "mariadb")["decimal-fit"]
    assert p.predicate == ("(\"c\" = 'NaN'::numeric OR \"c\" <> ROUND(\"c\", 30) OR "
                           "ABS(\"c\") >= 1e35)")


def test_effort_and_verdict() -> None:
    t = TableReport("s.t", "d.t", 10, [])
    assert t.effort == "simple"
    t.items += [Item("type", "info", "significant", "only information"),
                Item("lossy", "warning", "medium", "cut")]
    assert t.effort == "medium"
    a = Assessment("task", "src", "dst", "now", [t])
    assert a.summary()["runnable"] is True
    t.items.append(Item("type", "error", "medium", "unsupported", "s.t", "c"))
    assert a.summary()["runnable"] is False and a.summary()["levels"]["error"] == 1


def test_html_is_escaped_and_self_contained() -> None:
    t = TableReport("s.<t>", "d.t", 1_234, ["id"])
    t.items.append(Item("view", "warning", "medium", "uses <script>alert(1)</script>", "s.<t>",
                        example="a < b & c"))
    page = render(Assessment("t&t", "src", "dst", "now", [t]).as_dict())
    assert "<script>" not in page and "&lt;script&gt;" in page and "a &lt; b &amp; c" in page
    assert "1,234" in page and "t&amp;t" in page and "http" not in page


def test_the_core_asks_the_engines_hooks() -> None:
    """A source without assessment hooks gets no probes; a target's declared limits decide
    the cross-engine probes (nul-char needs a target whose text cannot hold NUL)."""
    from sparkdms.connectors.base import AssessmentHooks

    class Silent(PostgresConnector):
        def assessment(self) -> AssessmentHooks | None:
            return None

    source = Silent(Endpoint(role="source", engine="postgres", host="h", database="d", user="u"))
    target = connector("mariadb", "target")
    col = Column("c", "numeric", source.to_logical("numeric"))
    tp = TablePlan(Table("s", "t", (col,)), "s", "t",
                   (ColumnPlan("c", col, col.ltype, target.native_type(col.ltype)),))
    assert table_probes(source, target, tp, dialect("mariadb"), Settings.parse(None)) == []
    hooks = connector("mariadb", "target").assessment()
    assert hooks.float_specials and hooks.date_range and not hooks.nul_in_text
    assert connector("postgres", "target").assessment().nul_in_text


def test_view_conversion_flags_functions_the_target_lacks() -> None:
    from sparkdms.assess import convert_view

    view = "SELECT array_agg(id) AS ids FROM public.shapes"
    names = {("public", "shapes"): ("d", "shapes")}
    lacks = connector("sqlite", "target").assessment().missing_functions
    sql, doubtful = convert_view(view, "postgres", "sqlite", names, "public", lacks)
    assert doubtful == ["ArrayAgg"] and '"d"."shapes"' in sql
    lacks = connector("postgres", "target").assessment().missing_functions
    assert convert_view(view, "postgres", "postgres", names, "public", lacks)[1] == []


def test_convert_lists_post_load_objects_by_stage_through_the_declared_hooks() -> None:
    """``sparkdms convert`` asks the target (``planned_objects``, ``ensure_schema_sql``,
    ``capabilities``), never an engine module: a target that creates nothing lists nothing."""
    from sparkdms.connectors.base import Capabilities, PlannedObject

    from sparkdms.plan import Plan
    from sparkdms.plan.convert import object_ddl, table_ddl

    class Target(PostgresConnector):
        def planned_objects(self, plans: object, settings: object) -> list[PlannedObject]:
            return [PlannedObject("default", "d.t", "c", ('ALTER TABLE "d"."t" ...',)),
                    PlannedObject("default", "d.t", "x", (), "not portable"),
                    PlannedObject("index", "d.t", "i", ('CREATE INDEX "i" ...',))]

    target = Target(Endpoint(role="target", engine="postgres", host="h", database="d", user="u"))
    col = Column("c", "integer", target.to_logical("integer"))
    tp = TablePlan(Table("s", "t", (col,)), "d", "t", (ColumnPlan("c", col, col.ltype, "integer"),))
    plan = Plan("task", "postgres", "postgres", (tp,))
    assert object_ddl(plan, target, Settings.parse(None)) == [
        "", "-- default (after the load)", 'ALTER TABLE "d"."t" ...;',
        "-- not created: x on d.t: not portable", "", "-- index (after the load)",
        'CREATE INDEX "i" ...;']
    assert table_ddl(plan, target)[0] == 'CREATE SCHEMA IF NOT EXISTS "d";'
    Target.capabilities = Capabilities()  # creates no objects after the load
    assert object_ddl(plan, target, Settings.parse(None)) == []


def test_a_sql_target_plans_its_objects_as_neutral_values() -> None:
    from sparkdms.connectors.base import PlannedObject

    target = connector("postgres", "target")
    col = Column("c", "integer", target.to_logical("integer"), default="7")
    tp = TablePlan(Table("s", "t", (col,)), "d", "t", (ColumnPlan("c", col, col.ltype, "integer"),))
    assert target.planned_objects([tp], Settings.parse(None)) == [PlannedObject(
        "default", "d.t", "c", ('ALTER TABLE "d"."t" ALTER COLUMN "c" SET DEFAULT 7',))]
