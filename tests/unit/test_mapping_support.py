"""Shared builders for the table-mapping unit tests (no tests here): rule JSON in AWS's own
spelling, a small source catalog, and the plan the real planner makes from them."""

from __future__ import annotations

from typing import Any

from sparkdms.connectors.mysql.connector import MariaDBConnector
from sparkdms.connectors.postgres.connector import PostgresConnector

from sparkdms.catalog import Catalog, Column, Index, Table
from sparkdms.plan import Plan, TablePlan
from sparkdms.plan.build import build_plan
from sparkdms.plan.typemap import dialect
from sparkdms.task import Endpoint, Task
from sparkdms.task.settings import Settings


def endpoint(engine: str, role: str) -> Endpoint:
    return Endpoint(role=role, engine=engine, host="h", database="shop", user="u")


PG_SRC = PostgresConnector(endpoint("postgres", "source"))
PG_DST = PostgresConnector(endpoint("postgres", "target"))
MY_SRC = MariaDBConnector(endpoint("mariadb", "source"))
MY_DST = MariaDBConnector(endpoint("mariadb", "target"))


def col(name: str, native: str, engine: str = "postgres", **kw: Any) -> Column:
    return Column(name, native, dialect(engine).to_logical(native), **kw)


def table(schema: str, name: str, *cols: Column, pk: tuple[str, ...] = (),
          indexes: tuple[Index, ...] = (), kind: str = "table") -> Table:
    return Table(schema, name, cols, pk, indexes, kind=kind, engine="postgres")


# the default catalog: AWS's documentation examples use Test.ITEM, test.Actor, HR.SALES
ITEM = table("Test", "ITEM", col("ID", "integer", nullable=False), col("FIRST_NAME", "varchar(20)"),
             col("LAST_NAME", "text"), col("PRICE", "numeric(10,2)"), col("NOTES", "text"),
             col("col1", "integer"), col("col2", "integer"), col("Pre_code", "varchar(8)"),
             pk=("ID",), indexes=(Index("item_first", ("FIRST_NAME",)),
                                  Index("item_col1", ("col1",))))
ACTOR = table("Test", "Actor", col("actor_id", "integer", nullable=False),
              col("first_name", "varchar(45)"), col("last_name", "varchar(45)"),
              col("last_update", "timestamp without time zone"), pk=("actor_id",))
DMS_ORDERS = table("Test", "DMS_orders", col("id", "bigint", nullable=False),
                   col("amount", "numeric(12,2)"), col("placed", "date"), pk=("id",))
SALES = table("HR", "SALES", col("SALES_NO", "integer", nullable=False),
              col("REGION", "varchar(10)"), col("AMOUNT", "numeric(12,2)"),
              col("RATE", "double precision"), col("DOC", "bytea"), pk=("SALES_NO",))
CATALOG = Catalog("postgres", (ITEM, ACTOR, DMS_ORDERS, SALES))


def sel(schema: str = "%", name: str = "%", action: str = "include", rid: str = "1",
        **extra: Any) -> dict[str, Any]:
    return {"rule-type": "selection", "rule-id": rid, "rule-name": f"sel{rid}",
            "object-locator": {"schema-name": schema, "table-name": name},
            "rule-action": action, **extra}


def tr(action: str, target: str, locator: dict[str, str], rid: str = "2",
       **extra: Any) -> dict[str, Any]:
    return {"rule-type": "transformation", "rule-id": rid, "rule-name": f"tr{rid}",
            "rule-action": action, "rule-target": target, "object-locator": locator, **extra}


def ts(locator: dict[str, str], rid: str = "3", **extra: Any) -> dict[str, Any]:
    return {"rule-type": "table-settings", "rule-id": rid, "rule-name": f"ts{rid}",
            "object-locator": locator, **extra}


def task(rules: list[dict[str, Any]], settings: dict[str, Any] | None = None,
         source: Any = PG_SRC, target: Any = MY_DST) -> Task:
    return Task("t", "full-load", source.endpoint, target.endpoint, {"rules": rules},
                Settings.parse(settings or {}))


def plan(rules: list[dict[str, Any]], catalog: Catalog = CATALOG, *,
         settings: dict[str, Any] | None = None, source: Any = PG_SRC,
         target: Any = MY_DST) -> Plan:
    return build_plan(task(rules, settings, source, target), catalog, source, target,
                      with_partitions=False)


def table_plan(p: Plan, source_name: str) -> TablePlan:
    return next(tp for tp in p.tables if tp.source.name == source_name)


def columns(tp: TablePlan) -> list[tuple[str | None, str]]:
    """(source name, target name) per planned column."""
    return [(c.source_name, c.target_name) for c in tp.columns]
