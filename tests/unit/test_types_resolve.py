"""Column type resolution: defaults, task-file type_overrides, unmapped types, and the
adaptations a MySQL target needs (bit as numbers, guarded wide decimals, text keys)."""

from __future__ import annotations

import pytest
from sparkdms.connectors.mysql.connector import MariaDBConnector
from sparkdms.connectors.postgres.connector import PostgresConnector
from sparkdms.connectors.sqlite.connector import SQLiteConnector

from sparkdms.catalog import Catalog, Column, ForeignKey, Index, Table
from sparkdms.errors import TaskConfigError, UnsupportedTypeError
from sparkdms.plan.typemap import dialect
from sparkdms.plan.typemap.resolve import (
    lenient,
    parse_overrides,
    read_as_text,
    resolve_column,
)
from sparkdms.task import Endpoint
from sparkdms.types import LType


def connector(cls: type, engine: str, role: str = "target") -> object:
    if engine == "sqlite":
        return cls(Endpoint(role=role, engine=engine, path="/tmp/x.db"))
    return cls(Endpoint(role=role, engine=engine, host="h", database="d", user="u"))


PG = connector(PostgresConnector, "postgres")
MY = connector(MariaDBConnector, "mariadb")
LITE = connector(SQLiteConnector, "sqlite", "source")
PG_SOURCE = connector(PostgresConnector, "postgres", "source")
MY_SOURCE = connector(MariaDBConnector, "mariadb", "source")


def column(name: str, native: str, engine: str, **kw: object) -> Column:
    return Column(name, native, dialect(engine).to_logical(native), **kw)  # type: ignore[arg-type]


def table(*cols: Column, pk: tuple[str, ...] = (), indexes: tuple[Index, ...] = (),
          fks: tuple[ForeignKey, ...] = (), schema: str = "public", name: str = "t") -> Table:
    return Table(schema, name, cols, pk, indexes, fks)


def test_default_mapping_and_same_family() -> None:
    t = table(column("n", "numeric(12,2)", "postgres"))
    assert resolve_column([], t, t.columns[0], PG_SOURCE, MY).target_type == "decimal(12,2)"
    assert resolve_column([], t, t.columns[0], PG_SOURCE, PG).target_type == "numeric(12,2)"


OVERRIDES = {
    "public.t.amount": "numeric(14,2)",
    "public.%.amount": "numeric(20,4)",
    "type:numeric(30,10)": "numeric(31,10)",
    "type:numeric": "numeric(38,6)",
    "type:money": "numeric(19,2)",
}


@pytest.mark.parametrize(("table_name", "col_name", "native", "expected"), [
    ("t", "amount", "numeric(30,10)", "numeric(14,2)"),  # exact column key first
    ("u", "amount", "numeric(30,10)", "numeric(20,4)"),  # then a wildcard column key
    ("u", "other", "numeric(30,10)", "numeric(31,10)"),  # then the exact spelling
    ("u", "other", "numeric(8,2)", "numeric(38,6)"),  # then the type name
    ("u", "cash", "money", "numeric(19,2)"),
    ("u", "plain", "integer", "integer"),  # no override
])
def test_override_precedence(table_name: str, col_name: str, native: str, expected: str) -> None:
    overrides = parse_overrides(OVERRIDES)
    t = table(column(col_name, native, "postgres"), name=table_name)
    r = resolve_column(overrides, t, t.columns[0], PG_SOURCE, PG)
    assert r.target_type == expected
    assert r.ltype == dialect("postgres").to_logical(expected)


@pytest.mark.parametrize(("raw", "key"), [
    ({"orders.amount": "int"}, "type_overrides.orders.amount"),
    ({"a.b.c.d": "int"}, "type_overrides.a.b.c.d"),
    ({"public.t.c": 5}, "type_overrides.public.t.c"),
    ({"type:money": ""}, "type_overrides.type:money"),
])
def test_bad_override_names_the_key(raw: dict, key: str) -> None:
    with pytest.raises(TaskConfigError) as err:
        parse_overrides(raw)
    assert err.value.key == key


def test_unmapped_type_names_table_column_type_and_the_fix() -> None:
    t = table(column("box", "cube", "postgres"), name="shapes")
    with pytest.raises(UnsupportedTypeError) as err:
        resolve_column([], t, t.columns[0], PG_SOURCE, MY)
    text = str(err.value)
    assert "table public.shapes, column box: type 'cube'" in text
    assert '"public.shapes.box": "longtext"' in text


def test_unmapped_type_between_postgres_engines_is_kept() -> None:
    t = table(column("box", "cube", "postgres"))
    assert resolve_column([], t, t.columns[0], PG_SOURCE, PG).target_type == "cube"


def test_lenient_planning_collects_every_unmapped_type() -> None:
    t = table(column("a", "cube", "postgres"), column("b", "ltxtquery", "postgres"))
    with lenient() as found:
        got = [resolve_column([], t, c, PG_SOURCE, MY).target_type for c in t.columns]
    assert got == ["longtext", "longtext"] and [e.column for e in found] == ["a", "b"]


def test_override_to_text_reads_the_source_as_text() -> None:
    t = table(column("at", "timestamp without time zone", "postgres"),
              column("n", "integer", "postgres"))
    overrides = parse_overrides({"public.t.at": "varchar(30)", "public.t.n": "bigint"})
    (changed,) = read_as_text(Catalog("postgres", (t,)), overrides, MY).tables
    assert changed.columns[0].ltype == LType("unknown", native="timestamp without time zone")
    assert changed.columns[1].ltype.kind == "int32"  # a numeric override keeps the read type
    assert PG_SOURCE.read_expr(changed.columns[0]) == 'CAST("at" AS text)'
    r = resolve_column(overrides, changed, changed.columns[0], PG_SOURCE, MY)
    assert (r.target_type, r.ltype.kind) == ("varchar(30)", "varchar")


def test_mysql_bit_travels_as_a_number() -> None:
    t = table(column("flags", "bit(8)", "postgres"))
    r = resolve_column([], t, t.columns[0], PG_SOURCE, MY)
    assert r.target_type == "bit(8)" and r.ltype.kind == "uint64"
    assert r.expression == "CAST(conv(`flags`, 2, 10) AS DECIMAL(20,0))"


def test_unbounded_numeric_into_mysql_is_guarded_not_rounded() -> None:
    t = table(column("x", "numeric", "postgres"), name="m")
    r = resolve_column([], t, t.columns[0], PG_SOURCE, MY)
    assert r.target_type == "decimal(65,30)"
    assert "raise_error(" in r.expression and "[.][0-9]{30}[0-9]*[1-9]" in r.expression
    assert "[1-9][0-9]{35,}" in r.expression and "table public.m, column x" in r.expression
    bounded = table(column("y", "numeric(12,2)", "postgres"))
    assert resolve_column([], bounded, bounded.columns[0], PG_SOURCE, MY).expression is None


def test_text_keys_become_varchar_on_mysql() -> None:
    t = table(column("a", "text", "postgres"), column("b", "text", "postgres"),
              column("c", "text", "postgres"), column("d", "citext", "postgres"),
              column("e", "bytea", "postgres"),
              pk=("a",), indexes=(Index("ab", ("a", "b")), Index("e", ("e",), True)),
              fks=(ForeignKey("fk", ("d",), "public", "o", ("k",)),))
    got = [resolve_column([], t, c, PG_SOURCE, MY).target_type for c in t.columns]
    assert got == ["varchar(384)", "varchar(384)", "longtext",
                   "varchar(768) COLLATE utf8mb4_unicode_ci", "varbinary(3072)"]


def test_between_mysql_engines_text_keys_stay_text() -> None:
    t = table(column("a", "text", "mysql"), indexes=(Index("a", ("a",)),))
    assert resolve_column([], t, t.columns[0], MY_SOURCE, MY).target_type == "text"


def test_a_postgres_source_reads_for_the_family_the_plan_names() -> None:
    source = connector(PostgresConnector, "postgres", "source")
    t = table(column("xs", "integer[]", "postgres"), column("iv", "interval", "postgres"))
    assert source.read_expr(t.columns[0], "mysql") == 'CAST(array_to_json("xs") AS text)'
    assert "'P' || extract(year FROM \"iv\")::bigint || 'Y'" in source.read_expr(t.columns[1],
                                                                                "mysql")
    assert source.read_expr(t.columns[0], "postgres") == 'CAST("xs" AS text)'


def test_the_plan_names_the_target_family_for_the_source_read() -> None:
    from tests.unit.test_mapping_support import MY_DST, PG_DST, plan, sel

    assert {tp.peer for tp in plan([sel()], target=MY_DST).tables} == {"mysql"}
    assert {tp.peer for tp in plan([sel()], target=PG_DST).tables} == {"postgres"}


def test_sqlite_untyped_column_is_text() -> None:
    t = table(column("anything", "", "sqlite"), schema="main")
    assert resolve_column([], t, t.columns[0], LITE, PG).target_type == "text"
    assert LITE.read_expr(t.columns[0]) == 'CAST("anything" AS TEXT)'
