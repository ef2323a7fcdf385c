"""Transformation rules: rule JSON and a small catalog in, the expected plan out, for every
action and rule-target; conflicts, collisions and rules that match nothing."""

from __future__ import annotations

from typing import Any

import pytest

from sparkdms.catalog import Catalog, Index
from sparkdms.errors import MappingRuleError, SelectionError
from tests.unit.test_mapping_support import (
    ACTOR,
    CATALOG,
    DMS_ORDERS,
    ITEM,
    MY_DST,
    PG_DST,
    col,
    columns,
    plan,
    sel,
    table,
    table_plan,
    tr,
)

T = {"schema-name": "Test", "table-name": "%"}
ITEM_LOC = {"schema-name": "Test", "table-name": "ITEM"}


def item_col(name: str) -> dict[str, str]:
    return {**ITEM_LOC, "column-name": name}


def names(rules: list[dict[str, Any]], target: Any = PG_DST) -> dict[str, str]:
    """source table -> target schema.table"""
    return {tp.source.name: f"{tp.target_schema}.{tp.target_name}"
            for tp in plan([sel("Test"), *rules], target=target).tables}


@pytest.mark.parametrize(("rule", "expected"), [
    # AWS examples: rename a schema, rename a table, add / remove prefix and suffix
    (tr("rename", "schema", {"schema-name": "Test"}, value="Test1"),
     {"ITEM": "Test1.ITEM", "Actor": "Test1.Actor", "DMS_orders": "Test1.DMS_orders"}),
    (tr("rename", "table", {"schema-name": "Test", "table-name": "Actor"}, value="Actor1"),
     {"ITEM": "Test.ITEM", "Actor": "Test.Actor1", "DMS_orders": "Test.DMS_orders"}),
    (tr("convert-lowercase", "table", {"schema-name": "Test", "table-name": "ITEM"}),
     {"ITEM": "Test.item", "Actor": "Test.Actor", "DMS_orders": "Test.DMS_orders"}),
    (tr("convert-uppercase", "table", T),
     {"ITEM": "Test.ITEM", "Actor": "Test.ACTOR", "DMS_orders": "Test.DMS_ORDERS"}),
    (tr("convert-lowercase", "schema", {"schema-name": "%"}),
     {"ITEM": "test.ITEM", "Actor": "test.Actor", "DMS_orders": "test.DMS_orders"}),
    (tr("add-prefix", "table", T, value="DMS_"),
     {"ITEM": "Test.DMS_ITEM", "Actor": "Test.DMS_Actor", "DMS_orders": "Test.DMS_DMS_orders"}),
    (tr("remove-prefix", "table", T, value="DMS_"),
     {"ITEM": "Test.ITEM", "Actor": "Test.Actor", "DMS_orders": "Test.orders"}),
    (tr("replace-prefix", "table", T, value="old_", **{"old-value": "DMS_"}),
     {"ITEM": "Test.ITEM", "Actor": "Test.Actor", "DMS_orders": "Test.old_orders"}),
    (tr("add-suffix", "table", T, value="_v2"),
     {"ITEM": "Test.ITEM_v2", "Actor": "Test.Actor_v2", "DMS_orders": "Test.DMS_orders_v2"}),
    (tr("remove-suffix", "table", T, value="_orders"),
     {"ITEM": "Test.ITEM", "Actor": "Test.Actor", "DMS_orders": "Test.DMS"}),
    (tr("replace-suffix", "table", {"schema-name": "Test", "table-name": "%tor"},
        value="tress", **{"old-value": "tor"}),
     {"ITEM": "Test.ITEM", "Actor": "Test.Actress", "DMS_orders": "Test.DMS_orders"}),
    (tr("add-prefix", "schema", {"schema-name": "Test"}, value="stage_"),
     {"ITEM": "stage_Test.ITEM", "Actor": "stage_Test.Actor",
      "DMS_orders": "stage_Test.DMS_orders"}),
    (tr("remove-suffix", "schema", {"schema-name": "Test"}, value="st"),
     {"ITEM": "Te.ITEM", "Actor": "Te.Actor", "DMS_orders": "Te.DMS_orders"}),
])
def test_schema_and_table_names(rule: dict[str, Any], expected: dict[str, str]) -> None:
    assert names([rule]) == expected


def test_default_schema_mapping_stays_unless_a_rule_changes_the_name() -> None:
    public = table("public", "t", col("id", "integer"))
    cat = Catalog("postgres", (public,))
    assert plan([sel("public")], cat).tables[0].target_schema == "shop"  # MariaDB database
    same = plan([sel("public"), tr("convert-lowercase", "schema", {"schema-name": "%"})], cat)
    assert same.tables[0].target_schema == "shop"  # a no-op rule keeps the default mapping
    moved = plan([sel("public"), tr("rename", "schema", {"schema-name": "public"},
                                    value="sales")], cat)
    assert moved.tables[0].target_schema == "sales"


def test_rules_on_one_object_apply_in_rule_id_order() -> None:
    rules = [tr("add-prefix", "table", T, "3", value="DMS_"),
             tr("convert-lowercase", "table", T, "2")]
    assert names(rules)["Actor"] == "Test.DMS_actor"
    rules = [tr("add-prefix", "table", T, "2", value="DMS_"),
             tr("convert-lowercase", "table", T, "3")]
    assert names(rules)["Actor"] == "Test.dms_actor"


@pytest.mark.parametrize(("rule", "expected"), [
    (tr("rename", "column", item_col("FIRST_NAME"), value="FNAME"), ("FIRST_NAME", "FNAME")),
    (tr("convert-lowercase", "column", item_col("%")), ("FIRST_NAME", "first_name")),
    (tr("convert-uppercase", "column", item_col("col%")), ("col1", "COL1")),
    (tr("add-prefix", "column", item_col("%_NAME"), value="x_"), ("LAST_NAME", "x_LAST_NAME")),
    (tr("remove-prefix", "column", item_col("%"), value="col"), ("col2", "2")),
    # AWS example: replace the prefix Pre_ with NewPre_ in all columns
    (tr("replace-prefix", "column", {"schema-name": "%", "table-name": "%", "column-name": "%"},
        value="NewPre_", **{"old-value": "Pre_"}), ("Pre_code", "NewPre_code")),
    (tr("add-suffix", "column", item_col("PRICE"), value="_EUR"), ("PRICE", "PRICE_EUR")),
    (tr("remove-suffix", "column", item_col("%"), value="_NAME"), ("LAST_NAME", "LAST")),
    (tr("replace-suffix", "column", item_col("%_NAME"), value="_N", **{"old-value": "_NAME"}),
     ("FIRST_NAME", "FIRST_N")),
])
def test_column_names(rule: dict[str, Any], expected: tuple[str, str]) -> None:
    tp = table_plan(plan([sel("Test"), rule]), "ITEM")
    assert expected in columns(tp)
    assert rule["rule-id"] in tp.column(expected[1]).rule_ids
    assert len(tp.columns) == len(ITEM.columns)


def test_remove_column_aws_example_and_keys_follow() -> None:
    tp = table_plan(plan([sel("Test"), tr("remove-column", "column", item_col("col%"))]), "ITEM")
    assert [c for c, _ in columns(tp)] == ["ID", "FIRST_NAME", "LAST_NAME", "PRICE", "NOTES",
                                           "Pre_code"]
    assert tp.removed_columns == ("col1 (remove-column, rule 2)", "col2 (remove-column, rule 2)")
    assert [i.name for i in tp.indexes] == ["item_first"]  # the index over col1 goes


def test_include_column_keeps_only_the_named_columns() -> None:
    tp = table_plan(plan([sel("Test"), tr("include-column", "column", item_col("ID")),
                          tr("include-column", "column", item_col("%_NAME"), "3")]), "ITEM")
    assert [c for c, _ in columns(tp)] == ["ID", "FIRST_NAME", "LAST_NAME"]
    assert "PRICE (not named by include-column 2, 3)" in tp.removed_columns


def test_renamed_key_and_index_columns_use_target_names() -> None:
    tp = table_plan(plan([sel("Test"), tr("convert-lowercase", "column", item_col("%"))]),
                    "ITEM")
    assert tp.primary_key == ("id",)
    assert tp.indexes[0].columns == ("first_name",)


def test_removing_a_primary_key_column_drops_the_key_with_a_warning() -> None:
    p = plan([sel("Test"), tr("remove-column", "column", item_col("ID"))])
    assert table_plan(p, "ITEM").primary_key == ()
    assert any("primary key (ID) is not created" in w for w in p.warnings)


def test_add_column_aws_examples() -> None:
    p = plan([sel("Test"),
              tr("add-column", "column", ITEM_LOC, value="FULL_NAME",
                 expression="$FIRST_NAME||'_'||$LAST_NAME",
                 **{"data-type": {"type": "string", "length": 50}}),
              tr("add-column", "column", {"schema-name": "Test", "table-name": "Actor"}, "3",
                 value="last_updated", **{"data-type": {"type": "datetime", "precision": 6}})],
             target=MY_DST)
    full = table_plan(p, "ITEM").column("FULL_NAME")
    assert (full.source, full.target_type, full.expression, full.rule_ids) == (
        None, "varchar(50)", "concat(`FIRST_NAME`, '_', `LAST_NAME`)", ("2",))
    added = table_plan(p, "Actor").column("last_updated")
    assert (added.target_type, added.expression) == ("datetime(6)", "NULL")


def test_an_expression_may_read_removed_columns() -> None:
    tp = table_plan(plan([sel("Test"),
                          tr("remove-column", "column", item_col("%_NAME")),
                          tr("add-column", "column", ITEM_LOC, "3", value="NAME",
                             expression="$FIRST_NAME || ' ' || $LAST_NAME",
                             **{"data-type": {"type": "string", "length": 60}})]), "ITEM")
    assert "FIRST_NAME" not in [c for c, _ in columns(tp)]
    assert tp.read_columns == ("FIRST_NAME", "LAST_NAME")
    assert {"FIRST_NAME", "LAST_NAME", "ID"} <= tp.source_names


@pytest.mark.parametrize(("data_type", "pg", "mariadb"), [
    ({"type": "int8"}, "bigint", "bigint"),
    ({"type": "int2"}, "smallint", "smallint"),
    ({"type": "string", "length": 30}, "character varying(30)", "varchar(30)"),
    ({"type": "wstring", "length": 30}, "character varying(30)", "varchar(30)"),
    ({"type": "string"}, "text", "longtext"),
    ({"type": "numeric", "precision": 14, "scale": 4}, "numeric(14,4)", "decimal(14,4)"),
    ({"type": "real8"}, "double precision", "double"),
    ({"type": "datetime", "precision": 3}, "timestamp(3)", "datetime(3)"),
    ({"type": "date"}, "date", "date"),
    ({"type": "boolean"}, "boolean", "tinyint(1)"),
    ({"type": "bytes", "length": 16}, "bytea", "varbinary(16)"),
    ({"type": "clob"}, "text", "longtext"),
])
def test_change_data_type(data_type: dict[str, Any], pg: str, mariadb: str) -> None:
    rule = tr("change-data-type", "column", item_col("col2"), **{"data-type": data_type})
    for target, expected in ((PG_DST, pg), (MY_DST, mariadb)):
        cp = table_plan(plan([sel("Test"), rule], target=target), "ITEM").column("col2")
        assert cp.target_type == expected
        assert cp.rule_ids == ("2",)


def test_change_data_type_by_source_data_type_in_the_locator() -> None:
    rule = tr("change-data-type", "column", {"schema-name": "Test", "table-name": "%",
                                             "column-name": "%", "data-type": "int4"},
              **{"data-type": {"type": "int8"}})
    p = plan([sel("Test"), rule], target=PG_DST)
    retyped = {(tp.source.name, c.source_name) for tp in p.tables for c in tp.columns
               if c.target_type == "bigint" and "2" in c.rule_ids}
    assert retyped == {("ITEM", "ID"), ("ITEM", "col1"), ("ITEM", "col2"), ("Actor", "actor_id")}


def test_narrowing_a_decimal_is_guarded_not_rounded() -> None:
    cp = table_plan(plan([sel("Test"), tr("change-data-type", "column", item_col("PRICE"),
                                          **{"data-type": {"type": "int4"}})]),
                    "ITEM").column("PRICE")
    assert cp.expression is not None and "raise_error" in cp.expression
    assert "rule 2 (\\'tr2\\'): change-data-type of Test.ITEM.PRICE" in cp.expression
    wide = table_plan(plan([sel("Test"), tr("change-data-type", "column", item_col("PRICE"),
                                            **{"data-type": {"type": "numeric", "precision": 14,
                                                             "scale": 2}})], target=PG_DST),
                      "ITEM").column("PRICE")
    assert wide.expression is None  # nothing to round


def test_define_primary_key_and_unique_index() -> None:
    pk = tr("define-primary-key", "table", {"schema-name": "Test", "table-name": "Actor"},
            **{"primary-key-def": {"name": "actor-pk", "columns": ["first_name", "last_name"]}})
    tp = table_plan(plan([sel("Test"), tr("convert-uppercase", "column", {
        "schema-name": "Test", "table-name": "Actor", "column-name": "%"}, "3"), pk]), "Actor")
    assert tp.primary_key == ("FIRST_NAME", "LAST_NAME")  # source names, mapped to target
    assert not tp.column("FIRST_NAME").nullable and tp.column("ACTOR_ID").nullable is False
    uq = tr("define-primary-key", "table", {"schema-name": "Test", "table-name": "Actor"},
            **{"primary-key-def": {"name": "actor-uq", "origin": "unique-index",
                                   "columns": ["last_name"]}})
    tp = table_plan(plan([sel("Test"), uq]), "Actor")
    assert tp.primary_key == ("actor_id",)
    assert Index("actor-uq", ("last_name",), True) in tp.indexes


@pytest.mark.parametrize(("rules", "words"), [
    # two actions on one object, both naming it exactly
    ([tr("rename", "table", ITEM_LOC, value="A"), tr("rename", "table", ITEM_LOC, "3", value="B")],
     "table Test.ITEM is already the object of rule 2"),
    ([tr("rename", "column", item_col("PRICE"), value="P"),
      tr("convert-lowercase", "column", item_col("PRICE"), "3")],
     "column Test.ITEM.PRICE is already the object of rule 2"),
    ([tr("remove-column", "column", item_col("PRICE")),
      tr("rename", "column", item_col("PRICE"), "3", value="P")], "allows one transformation"),
    ([tr("change-data-type", "column", item_col("PRICE"), **{"data-type": {"type": "int8"}}),
      tr("change-data-type", "column", item_col("PRICE"), "3",
         **{"data-type": {"type": "int4"}})], "already the object of rule 2"),
    ([tr("define-primary-key", "table", ITEM_LOC, **{"primary-key-def": {"columns": ["ID"]}}),
      tr("define-primary-key", "table", ITEM_LOC, "3",
         **{"primary-key-def": {"columns": ["col1"]}})], "already gets a key from rule 2"),
    # renames that collide
    ([tr("rename", "column", item_col("col1"), value="col2")],
     "columns col1 and col2 of Test.ITEM would both be 'col2'"),
    ([tr("add-column", "column", ITEM_LOC, value="ID", **{"data-type": {"type": "int4"}})],
     "columns ID and (added) of Test.ITEM would both be 'ID'"),
    ([tr("rename", "table", {"schema-name": "Test", "table-name": "Actor"}, value="ITEM")],
     "tables Test.ITEM and Test.Actor would both load into Test.ITEM"),
    ([tr("remove-prefix", "table", ITEM_LOC, value="ITEM")], "leaves table Test.ITEM without"),
    # columns the catalog does not have
    ([tr("define-primary-key", "table", ITEM_LOC, **{"primary-key-def": {"columns": ["nope"]}})],
     "primary-key-def column 'nope' is not a column of Test.ITEM"),
    ([tr("add-column", "column", ITEM_LOC, value="x", expression="$first_name",
         **{"data-type": {"type": "string", "length": 9}})], "did you mean $FIRST_NAME?"),
])
def test_rule_errors_name_the_rule(rules: list[dict[str, Any]], words: str) -> None:
    with pytest.raises(MappingRuleError) as err:
        plan([sel("Test"), *rules], target=PG_DST)
    assert words in str(err.value)


def test_case_insensitive_target_collision_names_the_rule() -> None:
    with pytest.raises(MappingRuleError, match="would both be 'id'"):
        plan([sel("Test"), tr("add-column", "column", ITEM_LOC, value="id",
                              **{"data-type": {"type": "int4"}})], target=MY_DST)


def test_wildcard_and_exact_rules_chain_instead_of_conflicting() -> None:
    tp = table_plan(plan([sel("Test"), tr("convert-lowercase", "column", item_col("%")),
                          tr("rename", "column", item_col("PRICE"), "3", value="Cost")]), "ITEM")
    assert ("PRICE", "Cost") in columns(tp) and ("FIRST_NAME", "first_name") in columns(tp)


def test_a_retyped_key_column_still_fits_a_mysql_index() -> None:
    rule = tr("change-data-type", "column", item_col("col1"), **{"data-type": {"type": "string"}})
    cp = table_plan(plan([sel("Test"), rule], target=MY_DST), "ITEM").column("col1")
    assert cp.target_type == "varchar(768)"  # indexed: InnoDB cannot index longtext whole


def test_rules_that_match_nothing_or_do_nothing_are_warnings() -> None:
    p = plan([sel("Test"), sel("Nope", rid="2"), sel("Test", "zz%", "exclude", "3"),
              tr("rename", "table", {"schema-name": "Test", "table-name": "item"}, "4",
                 value="x"),
              tr("rename", "table-tablespace", {"schema-name": "Test", "table-name": "ITEM",
                                                "table-tablespace-name": "ts"}, "5", value="y"),
              {"rule-type": "table-settings", "rule-id": "6", "rule-name": "ts6",
               "object-locator": {"schema-name": "Test", "table-name": "Gone"},
               "lob-settings": {"bulk-max-size": "8"}}])
    text = "\n".join(p.warnings)
    for rid, name in (("2", "sel2"), ("3", "sel3"), ("4", "tr4"), ("6", "ts6")):
        assert f"rule {rid} ('{name}')" in text and "matches nothing" in text
    assert "rule 5 ('tr5'): rename has no effect in sparkdms: tablespaces" in text
    assert "rule 1 " not in text


def test_exclusion_wins_and_nothing_selected_is_an_error() -> None:
    p = plan([sel("Test"), sel("Test", "DMS%", "exclude", "2")])
    assert [tp.source.name for tp in p.tables] == ["ITEM", "Actor"]
    with pytest.raises(SelectionError):
        plan([sel("Test", "ITEM"), sel("%", "%", "exclude", "2")])


def test_table_type_and_explicit() -> None:
    view = table("Test", "v_items", col("id", "integer"), kind="view")
    cat = Catalog("postgres", (ITEM, view))
    assert [t.source.name for t in plan([sel("Test")], cat).tables] == ["ITEM"]
    views = plan([{**sel(), "object-locator": {"schema-name": "Test", "table-name": "%",
                                                "table-type": "view"}}], cat)
    assert [t.source.name for t in views.tables] == ["v_items"]
    both = plan([{**sel(), "object-locator": {"schema-name": "Test", "table-name": "%",
                                               "table-type": "all"}}], cat)
    assert len(both.tables) == 2
    assert [t.source.name for t in plan([sel("Test", "IT%", "explicit")], Catalog(
        "postgres", (ITEM, table("Test", "IT%", col("id", "integer"))))).tables] == ["IT%"]


def test_load_order_higher_first() -> None:
    p = plan([sel("Test", "Actor", rid="1", **{"load-order": "1"}),
              sel("Test", "DMS_orders", rid="2", **{"load-order": "2"}),
              sel("Test", "ITEM", rid="3")], Catalog("postgres", (ITEM, ACTOR, DMS_ORDERS)))
    assert [tp.source.name for tp in p.tables] == ["DMS_orders", "Actor", "ITEM"]
    assert p.tables[0].load_order == 2


def test_the_default_catalog_is_untouched_without_rules() -> None:
    p = plan([sel("Test")], target=PG_DST)
    assert [len(tp.columns) for tp in p.tables] == [len(t.columns) for t in CATALOG.tables[:3]]
    assert all(tp.rule_ids == ("1",) for tp in p.tables)


def test_table_collision_names_the_renaming_rule() -> None:
    with pytest.raises(MappingRuleError) as err:
        plan([sel("Test"), tr("convert-uppercase", "table", T, "5"),
              tr("rename", "table", {"schema-name": "Test", "table-name": "Actor"}, "7",
                 value="ITEM")], target=PG_DST)
    assert (err.value.rule_id, err.value.rule_name) == ("7", "tr7")
    assert "rules involved: 5, 7" in str(err.value)


def test_a_table_lists_only_the_column_rules_that_matched_it() -> None:
    p = plan([sel("Test"), tr("rename", "column", {"schema-name": "Test", "table-name": "%",
                                                   "column-name": "amount"}, value="total")])
    assert "2" in table_plan(p, "DMS_orders").rule_ids
    assert "2" not in table_plan(p, "ITEM").rule_ids


def test_a_redefined_key_replaces_a_removed_one_without_warning() -> None:
    p = plan([sel("Test"), tr("remove-column", "column", item_col("ID")),
              tr("define-primary-key", "table", ITEM_LOC, "3",
                 **{"primary-key-def": {"name": "pk", "columns": ["Pre_code"]}})])
    assert table_plan(p, "ITEM").primary_key == ("Pre_code",)
    assert not any("primary key" in w for w in p.warnings)
