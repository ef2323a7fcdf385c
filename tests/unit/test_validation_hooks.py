"""The validation hooks each engine declares (``connectors/base.py``): which engines compute
checksums in SQL, where their failures go, and what great-expectations sees; no server."""

from __future__ import annotations

from sparkdms.connectors.lake.connector import DeltaConnector
from sparkdms.connectors.mysql.connector import MariaDBConnector, MySQLConnector
from sparkdms.connectors.postgres.connector import PostgresConnector
from sparkdms.connectors.sqlite.connector import SQLiteConnector

from sparkdms.catalog import Column, Table
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.task import Endpoint
from sparkdms.task.settings import Settings
from sparkdms.types import LType


def server(cls, engine: str, role: str = "target"):
    return cls(Endpoint(role=role, engine=engine, host="h", port=1, database="d", user="u"))


def plan() -> TablePlan:
    col = Column("id", "integer", LType("int32"), False)
    src = Table("public", "x", (col,), ("id",))
    return TablePlan(src, "public", "x", (ColumnPlan("id", col, col.ltype, "integer", False),), ("id",))


def test_sql_engines_validate_in_sql_with_their_renderer_and_session():
    pg = server(PostgresConnector, "postgres").validation_sql()
    my = server(MySQLConnector, "mysql").validation_sql()
    assert pg is not None and my is not None
    assert pg.renderer.quote("a") == '"a"' and my.renderer.quote("a") == "`a`"
    assert "SET TIME ZONE 'UTC'" in pg.session and my.session == ("SET time_zone = '+00:00'",)
    assert pg.placeholder == my.placeholder == "%s"
    # PostgreSQL's JSON text is carried into MariaDB/MySQL unchanged; not the other way
    assert "postgres" in my.json_peers and "mysql" not in pg.json_peers
    assert SQLiteConnector(Endpoint(role="source", engine="sqlite", path="x.db")).validation_sql() is None
    assert not SQLiteConnector.capabilities.validates_in_sql  # its rows are hashed in Spark
    assert DeltaConnector(Endpoint(role="target", engine="delta", path="/tmp/l")).validation_sql() is None


def test_wire_form_only_for_columns_read_converted():
    pg = server(PostgresConnector, "postgres", "source").validation_sql()
    assert pg is not None
    plain = Column("n", "integer", LType("int32"))
    money = Column("m", "money", LType("money"))
    assert pg.wire_form(plain, "mysql") is None
    expr, dtype = pg.wire_form(money, "mysql")
    assert expr == 'CAST(CAST("m" AS numeric) AS text)' and type(dtype).__name__ == "StringType"


def test_failure_stores():
    settings = Settings({})
    pg = server(PostgresConnector, "postgres").failure_store(settings)
    assert pg is not None and pg.location(plan()) == 'table "public"."awsdms_validation_failures_v1"'
    lite = SQLiteConnector(Endpoint(role="target", engine="sqlite", path="x.db")).failure_store(settings)
    assert lite is not None and lite.location(plan()) == 'table "main"."awsdms_validation_failures_v1"'
    lake = DeltaConnector(Endpoint(role="target", engine="delta", path="/tmp/l")).failure_store(settings)
    assert lake is not None
    assert lake.location(plan()) == "delta table at /tmp/l/public/awsdms_validation_failures_v1"


def test_expectations_in_sql_and_mariadb_json_reflects_as_longtext():
    pg = server(PostgresConnector, "postgres").expectations_sql()
    assert pg is not None and pg.url.startswith("postgresql+psycopg://u@h:1/d")
    maria = server(MariaDBConnector, "mariadb").expectations_sql()
    mysql = server(MySQLConnector, "mysql").expectations_sql()
    assert maria is not None and mysql is not None
    assert maria.reflected_type("json") == "LONGTEXT" and mysql.reflected_type("json") == "JSON"
    by_url = MySQLConnector(Endpoint(role="target", engine="mysql", url="jdbc:mysql://h/d"))
    assert by_url.expectations_sql() is None
    assert DeltaConnector(Endpoint(role="target", engine="delta", path="/tmp/l")).expectations_sql() is None
