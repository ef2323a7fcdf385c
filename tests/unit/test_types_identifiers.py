"""Identifier rules per target: folding, truncation that detects collisions, names a
target compares case-insensitively, reserved words, and key columns following renames."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sparkdms.connectors.base import IdentRules

from sparkdms.catalog import Column, Index, Table
from sparkdms.plan import ColumnPlan, Plan, TablePlan
from sparkdms.plan.identifiers import (
    IdentifierError,
    apply_rules,
    check,
    collecting,
    fit,
    refused,
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


def test_names_the_target_cannot_hold_stop_the_plan() -> None:
    """MySQL/MariaDB refuse a name ending in a space (table, column or database) and
    characters above U+FFFF: the plan stops naming the table, the column and the rule."""
    plan = plan_of(("spaced ", ["id", "note ", "ok🚀"]))
    with pytest.raises(IdentifierError) as err:
        check(plan, "mariadb")
    text = str(err.value)
    assert text.startswith("names mariadb cannot hold: ")
    assert "table src.spaced  (on the target 'spaced '): MySQL and MariaDB names cannot end " \
           "with a space" in text
    assert "column 'note ' of src.spaced : MySQL and MariaDB names cannot end with a space" in text
    assert "column 'ok🚀' of src.spaced : MySQL and MariaDB names take only characters up to " \
           "U+FFFF" in text
    assert "rule-target table, rule-action rename" in text
    assert "rule-target column, rule-action rename" in text
    assert len(err.value.problems) == 3
    assert check(plan, "postgres") is not None  # PostgreSQL takes all three


@pytest.mark.parametrize("name", ["tab\t", "nl\n", "cr\r", " "])
def test_mysql_refuses_any_trailing_ascii_space(name: str) -> None:
    assert refused(name, rules_for("mysql")) is not None
    assert refused(" lead", rules_for("mysql")) is None
    assert refused("nbsp\u00a0", rules_for("mysql")) is None  # the server takes it


def test_postgres_refuses_nul_and_empty_names() -> None:
    assert "NUL" in (refused("a\x00b", rules_for("postgres")) or "")
    assert "empty" in (refused("", rules_for("postgres")) or "")
    assert refused("trailing ", rules_for("postgres")) is None
    plan = plan_of(("t", ["id", "bad\x00"]))
    with pytest.raises(IdentifierError, match=r"column 'bad\\x00' of src.t: PostgreSQL names "
                                              r"cannot contain NUL"):
        check(plan, "postgres")


def test_a_refused_schema_is_named_once_and_renamed_columns_show_both_names() -> None:
    plan = plan_of(("a", ["id"]), ("b", ["x"]))
    plan = replace(plan, tables=tuple(
        replace(tp, target_schema="db ", columns=tuple(replace(c, target_name=c.target_name + " ")
                                                       for c in tp.columns))
        for tp in plan.tables))
    with collecting() as found:
        check(plan, "mysql")
    invalid = [f.message for f in found if f.kind == "invalid"]
    assert sum(m.startswith("schema 'db ' (the target of src.a)") for m in invalid) == 1
    assert "column 'id' (on the target 'id ') of src.a" in invalid[0]
    assert all("rename" in m for m in invalid) and len(invalid) == 3


def test_forbidden_names_are_engine_data() -> None:
    """The core only reads IdentRules.forbidden: any dialect can declare its own rule."""
    rules = IdentRules(0, "chars", "keep", frozenset(), forbidden=((r"\$", "no dollar here"),))
    assert refused("a$b", rules) == "no dollar here" and refused("ab", rules) is None
    assert rules_for("sqlite").forbidden == ()  # SQLite takes any name


def test_columns_named_like_sparkdms_load_columns_stop_the_plan() -> None:
    """The end-of-partition marker and the staging attempt column are sparkdms's own: a
    source column of that name would be confused with them, on every target."""
    plan = plan_of(("t", ["id", "_sdms_end", "_SDMS_Attempt"]))
    for engine in ("postgres", "mariadb", "sqlite"):
        with pytest.raises(IdentifierError) as err:
            check(plan, engine)
        text = str(err.value)
        assert "column '_sdms_end' of src.t: the name is taken by a column sparkdms adds" in text
        assert "column '_SDMS_Attempt' of src.t" in text and "remove-column" in text
        assert len(err.value.problems) == 2
    assert check(plan_of(("t", ["id", "sdms_end"])), "postgres") is not None
