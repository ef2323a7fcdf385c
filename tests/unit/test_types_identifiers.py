"""Identifier rules per target: folding, truncation that detects collisions, names a
target compares case-insensitively, reserved words, and key columns following renames."""

from __future__ import annotations

import pytest

from sparkdms.catalog import Column, Index, Table
from sparkdms.plan import ColumnPlan, Plan, TablePlan
from sparkdms.plan.identifiers import (
    IdentifierError,
    apply_rules,
    check,
    collecting,
    fit,
    rules_for,
    unique_name,
)
from sparkdms.types import LType


def plan_of(*tables: tuple[str, list[str]], pk: tuple[str, ...] = (),
            indexes: tuple[Index, ...] = ()) -> Plan:
    plans = []
    for name, cols in tables:
        columns = tuple(Column(c, "int", LType("int32")) for c in cols)
        src = Table("src", name, columns, pk)
        plans.append(TablePlan(src, "Dst" if name == "Orders" else "dst", name,
                               tuple(ColumnPlan(c.name, c, c.ltype, "int") for c in columns),
                               primary_key=pk, indexes=indexes))
    return Plan("t", "postgres", "x", tuple(plans))


@pytest.mark.parametrize(("name", "engine", "case", "expected"), [
    ("OrderID", "postgres", "keep", "OrderID"), ("OrderID", "postgres", "target", "orderid"),
    ("OrderID", "oracle", "target", "ORDERID"), ("OrderID", "mysql", "target", "OrderID"),
    ("OrderID", "mysql", "lower", "orderid"), ("order id", "delta", "keep", "order_id"),
    ("x" * 70, "postgres", "keep", "x" * 63), ("é" * 40, "postgres", "keep", "é" * 31),
    ("é" * 70, "mysql", "keep", "é" * 64), ("y" * 200, "sqlite", "keep", "y" * 200),
])
def test_fit(name: str, engine: str, case: str, expected: str) -> None:
    assert fit(name, rules_for(engine), case) == expected


def test_case_insensitive_target_columns_collide() -> None:
    plan = plan_of(("people", ["Name", "name", "age"]))
    with pytest.raises(IdentifierError) as err:
        check(plan, "mariadb")
    assert "columns 'Name' and 'name' of src.people both become 'name'" in str(err.value)
    assert "rename" in str(err.value)
    assert check(plan, "postgres") is not None  # PostgreSQL keeps quoted names apart


def test_truncation_that_makes_names_equal_is_a_collision() -> None:
    long = "measurement_value_recorded_by_the_primary_sensor_in_degrees_celsius"
    plan = plan_of(("t", [long + "_a", long + "_b"]))
    fitted, found = apply_rules(plan, "postgres")
    kinds = sorted(f.kind for f in found)
    assert kinds == ["collision", "truncated", "truncated"]
    assert all(len(c.target_name.encode()) <= 63 for c in fitted.tables[0].columns)


def test_tables_collide_per_target_schema() -> None:
    plan = plan_of(("Users", ["id"]), ("users", ["id"]))
    with collecting() as found:
        check(plan, "sqlite")
    assert [f.kind for f in found] == ["collision"]
    assert "tables src.Users and src.users both become dst.users" in found[0].message


def test_folding_renames_keys_and_indexes() -> None:
    plan = plan_of(("Orders", ["OrderID", "CustomerID"]), pk=("OrderID",),
                   indexes=(Index("by_customer", ("CustomerID",)),))
    fitted = check(plan, "postgres", "target")
    tp = fitted.tables[0]
    assert (tp.target_schema, tp.target_name) == ("dst", "orders")
    assert [c.target_name for c in tp.columns] == \
        ["orderid", "customerid"]
    assert tp.primary_key == ("orderid",) and tp.indexes[0].columns == ("customerid",)


def test_reserved_words_are_reported_not_changed() -> None:
    plan = plan_of(("order", ["select", "id"]))
    fitted, found = apply_rules(plan, "postgres")
    assert fitted.tables[0].columns[0].target_name == "select"
    assert sorted((f.kind, f.column or "") for f in found) == [("reserved", ""),
                                                               ("reserved", "select")]


def test_unique_name_adds_a_hash_when_taken() -> None:
    taken: set[str] = set()
    first = unique_name("orders_customer_id_fkey", rules_for("postgres"), taken)
    second = unique_name("orders_customer_id_fkey", rules_for("postgres"), taken)
    assert first == "orders_customer_id_fkey" and second.startswith("orders_customer_id_fkey_")
    long = unique_name("i" * 80, rules_for("postgres"), {"i" * 63})
    assert len(long) == 63 and long != "i" * 63
