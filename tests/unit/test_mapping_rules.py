"""Rule parsing: AWS DMS's documented examples are accepted as written; every wrong rule
is refused when the task is read, naming its rule-id and rule-name."""

from __future__ import annotations

from typing import Any

import pytest

from sparkdms.errors import MappingRuleError
from sparkdms.plan import Condition, Filter
from sparkdms.plan.mapping import parse_rules
from tests.unit.test_mapping_support import sel, tr, ts

# AWS DMS user guide examples (selection, transformation, table-settings, filters pages)
AWS_EXAMPLES: list[list[dict[str, Any]]] = [
    [sel("Test", "%"), sel("Test", "DMS%", "exclude", "2")],
    [sel("NewCust", "Customer", "explicit")],
    [sel("Test", "loadsecond", **{"load-order": "1"}),
     sel("Test", "loadfirst", rid="2", **{"load-order": "2"})],
    [{**sel(), "object-locator": {"schema-name": "Test", "table-name": "view_DMS%",
                                   "table-type": "view"}}],
    [{**sel(), "object-locator": {"schema-name": "report", "table-name": "%",
                                   "table-type": "all"}}],
    [sel("Test"), tr("rename", "schema", {"schema-name": "Test"}, value="Test1")],
    [sel("Test"), tr("rename", "table", {"schema-name": "Test", "table-name": "Actor"},
                     value="Actor1")],
    [sel("test"), tr("rename", "column", {"schema-name": "test", "table-name": "Actor",
                                          "column-name": "first_name"}, "4", value="fname")],
    [sel("Play"), tr("rename", "table-tablespace", {"schema-name": "Play", "table-name": "Actor",
                                                    "table-tablespace-name": "SetSpace"},
                     value="SceneTblSpace")],
    [sel("test"), tr("add-column", "column", {"schema-name": "test", "table-name": "actor"},
                     value="last_updated", **{"data-type": {"type": "datetime", "precision": 6}})],
    [sel("test"), tr("remove-column", "column", {"schema-name": "test", "table-name": "Actor",
                                                 "column-name": "col%"})],
    [sel("test"), tr("convert-lowercase", "table", {"schema-name": "test",
                                                    "table-name": "ACTOR"})],
    [sel("test"), tr("convert-uppercase", "column", {"schema-name": "%", "table-name": "%",
                                                     "column-name": "%"})],
    [sel("test"), tr("add-prefix", "table", {"schema-name": "test", "table-name": "%"},
                     value="DMS_")],
    [sel("test"), tr("replace-prefix", "column", {"schema-name": "%", "table-name": "%",
                                                  "column-name": "%"},
                     value="NewPre_", **{"old-value": "Pre_"})],
    [sel("test"), tr("remove-suffix", "table", {"schema-name": "test", "table-name": "%"},
                     value="_DMS")],
    [sel("inventory"), tr("define-primary-key", "table", {"schema-name": "inventory",
                                                          "table-name": "ITEM"},
                          **{"primary-key-def": {"name": "ITEM-primary-key", "columns": [
                              "ITEM-NAME", "BOM-MODEL-NUM", "BOM-PART-NUM"]}})],
    [sel("inventory"), tr("define-primary-key", "table", {"schema-name": "inventory",
                                                          "table-name": "ITEM"},
                          **{"primary-key-def": {"name": "ITEM-unique-idx", "origin":
                                                 "unique-index", "columns": ["ITEM-NAME"]}})],
    [sel("dbo"), tr("change-data-type", "column", {"schema-name": "dbo", "table-name": "dms",
                                                   "column-name": "SALE_AMOUNT"},
                    **{"data-type": {"type": "int8"}})],
    [sel("dbo"), tr("change-data-type", "column", {"schema-name": "dbo", "table-name": "dms",
                                                   "column-name": "%", "data-type": "int2"},
                    **{"data-type": {"type": "int8"}})],
    [sel("%"), tr("add-before-image-columns", "column", {"schema-name": "%",
                                                         "table-name": "employees"},
                  **{"before-image-def": {"column-prefix": "BI_", "column-suffix": "",
                                          "column-filter": "pk-only"}})],
    [sel("Test"), tr("add-column", "column", {"schema-name": "Test", "table-name": "ITEM"},
                     value="FULL_NAME", expression="$FIRST_NAME||'_'||$LAST_NAME",
                     **{"data-type": {"type": "string", "length": 50}})],
    [sel("%"), tr("add-column", "column", {"schema-name": "%", "table-name": "%"},
                  value="Operation", expression="operation_indicator('D', 'U', 'I')",
                  **{"data-type": {"type": "string", "length": 50}})],
    [sel("%"), ts({"schema-name": "HR", "table-name": "SALES"},
                  **{"parallel-load": {"type": "partitions-auto"}})],
    [sel("%"), ts({"schema-name": "HR", "table-name": "SALES"},
                  **{"parallel-load": {"type": "subpartitions-auto"}})],
    [sel("%"), ts({"schema-name": "HR", "table-name": "SALES"}, **{"parallel-load": {
        "type": "partitions-list", "partitions": ["ABCD", "EFGH", "IJKL", "MNOP", "QRST",
                                                  "UVWXYZ"], "subpartitions": ["01234", "56789"]}})],
    [sel("%"), ts({"schema-name": "HR", "table-name": "SALES"}, **{"parallel-load": {
        "type": "ranges", "columns": ["SALES_NO", "REGION"],
        "boundaries": [["1000", "NORTH"], ["3000", "WEST"]]}})],
    [sel("%"), ts({"schema-name": "INV", "table-name": "ITEMS"},
                  **{"lob-settings": {"bulk-max-size": "100000"}})],
    [sel("%"), ts({"schema-name": "INV", "table-name": "ITEMS"},
                  **{"lob-settings": {"mode": "unlimited", "bulk-max-size": "0"}})],
    [sel("%"), ts({"schema-name": "INV", "table-name": "ITEMS"},
                  **{"lob-settings": {"mode": "none", "bulk-max-size": "100000"}})],
    [sel("test", "employee", filters=[{"filter-type": "source", "column-name": "empid",
                                       "filter-conditions": [
                                           {"filter-operator": "lte", "value": "10"},
                                           {"filter-operator": "between", "start-value": "50",
                                            "end-value": "75"},
                                           {"filter-operator": "gte", "value": "100"}]}])],
    [sel("test", "employee", filters=[
        {"filter-type": "source", "column-name": "empid",
         "filter-conditions": [{"filter-operator": "noteq", "value": "50"}]},
        {"filter-type": "source", "column-name": "dept",
         "filter-conditions": [{"filter-operator": "notnull"}]}])],
]


@pytest.mark.parametrize("rules", AWS_EXAMPLES)
def test_aws_documented_examples_parse(rules: list[dict[str, Any]]) -> None:
    parsed = parse_rules({"rules": rules})
    assert [r.rule_id for r in parsed] == sorted((r["rule-id"] for r in rules), key=int)


def test_parsed_content() -> None:
    rules = parse_rules({"rules": AWS_EXAMPLES[-2] + [
        ts({"schema-name": "HR", "table-name": "SALES"}, "9", **{"parallel-load": {
            "type": "ranges", "columns": ["SALES_NO"], "boundaries": [["1000"], [2000]]},
            "lob-settings": {"bulk-max-size": 64}}),
        tr("add-column", "column", {"schema-name": "%", "table-name": "%"}, "10", value="x",
           **{"data-type": {"type": "numeric", "precision": "12", "scale": 2}})]})
    assert rules[0].filters == (Filter("empid", (
        Condition("lte", ("10",)), Condition("between", ("50", "75")),
        Condition("gte", ("100",)))),)
    assert rules[1].parallel_load.boundaries == (("1000",), ("2000",))
    assert rules[1].lob.mode == "limited" and rules[1].lob.bulk_max_size_kb == 64
    assert (rules[2].data_type.precision, rules[2].data_type.scale) == (12, 2)


def test_rules_sort_by_numeric_rule_id() -> None:
    rules = parse_rules({"rules": [sel(rid="10"), sel(rid="9"), sel(rid="100")]})
    assert [r.rule_id for r in rules] == ["9", "10", "100"]


LOC = {"schema-name": "s", "table-name": "t"}
COL = {**LOC, "column-name": "c"}
BAD: list[tuple[dict[str, Any], str]] = [
    ({**sel(), "rule-type": "selektion"}, "unknown rule-type 'selektion'"),
    ({k: v for k, v in sel().items() if k != "rule-id"}, "missing required key 'rule-id'"),
    ({**sel(), "rule-action": "inclde"}, "unknown rule-action 'inclde'"),
    ({k: v for k, v in sel().items() if k != "rule-action"}, "missing required key 'rule-action'"),
    ({k: v for k, v in sel().items() if k != "object-locator"}, "'object-locator'"),
    ({**sel(), "object-locator": {"schema-name": "s"}}, "object-locator needs 'table-name'"),
    ({**sel(), "object-locator": {**LOC, "table-type": "views"}}, "table-type 'views'"),
    (sel(**{"load-order": "first"}), "load-order must be a whole number"),
    ({"rule-type": "object-mapping", "rule-id": "5", "rule-name": "ddb",
      "rule-action": "map-record-to-record"}, "object-locator"),
    ({"rule-type": "object-mapping", "rule-id": "5", "rule-name": "ddb", "object-locator": LOC,
      "rule-action": "map-record-to-nothing"}, "unknown rule-action 'map-record-to-nothing'"),
    ({"rule-type": "post-processing", "rule-id": "5", "rule-name": "pp",
      "object-locator": {"schema-name": "s"}, "rule-action": "add-tag"},
     "object-locator needs 'table-name'"),
    (tr("data-masking-hash-mask", "column", COL), "data masking"),
    (tr("rename", "view", LOC, value="x"), "rule-target 'view'"),
    ({k: v for k, v in tr("rename", "table", LOC, value="x").items() if k != "rule-target"},
     "rule-target None"),
    (tr("remove-column", "table", LOC), "does not apply to rule-target table"),
    (tr("define-primary-key", "column", COL), "does not apply to rule-target column"),
    (tr("rename", "table", LOC), "missing required key 'value'"),
    (tr("rename", "table", LOC, value=""), "non-empty 'value'"),
    (tr("rename", "column", LOC, value="x"), "object-locator needs 'column-name'"),
    (tr("rename", "table", {"schema-name": "s"}, value="x"), "needs 'table-name'"),
    (tr("replace-prefix", "table", LOC, value="x"), "missing required key 'old-value'"),
    (tr("add-column", "column", LOC, value="x"), "'data-type' needs a 'type'"),
    (tr("add-column", "column", LOC, **{"data-type": {"type": "int4"}}),
     "missing required key 'value'"),
    (tr("add-column", "column", LOC, value="x", **{"data-type": {"type": "varchar2"}}),
     "unknown data-type type 'varchar2'"),
    (tr("add-column", "column", LOC, value="x", **{"data-type": {"type": "string",
                                                                  "length": "fifty"}}),
     "length must be a whole number"),
    (tr("add-column", "column", LOC, value="x", **{"data-type": {"type": "string",
                                                                  "length": 0}}),
     "length must be at least 1"),
    (tr("change-data-type", "column", COL, **{"data-type": {"type": "numeric", "precision": 4,
                                                            "scale": 6}}),
     "scale 6 is larger than precision 4"),
    (tr("define-primary-key", "table", LOC, **{"primary-key-def": {"name": "pk"}}),
     "primary-key-def needs 'columns'"),
    (tr("define-primary-key", "table", LOC, **{"primary-key-def": {
        "name": "pk", "columns": ["a"], "origin": "foreign-key"}}), "origin 'foreign-key'"),
    (tr("define-primary-key", "table", LOC, **{"primary-key-def": {"columns": ["a", "a"]}}),
     "lists a column twice"),
    (tr("rename", "column", COL, value="x", expression="$a"),
     "'expression' is supported with rule-action add-column only"),
    (tr("add-column", "column", LOC, value="x", expression="printf('%d', $a)",
        **{"data-type": {"type": "string", "length": 9}}),
     "expression \"printf('%d', $a)\": function printf() cannot be translated to Spark SQL"),
    (tr("add-column", "column", LOC, value="x", expression="$AR_H_WHO",
        **{"data-type": {"type": "string", "length": 9}}), "header $AR_H_WHO"),
    (tr("add-column", "column", LOC, value="x", expression="strftime('%W', $d)",
        **{"data-type": {"type": "string", "length": 9}}), "strftime format %W"),
    (tr("add-column", "column", LOC, value="x", expression="date($d, 'localtime')",
        **{"data-type": {"type": "date"}}), "modifier 'localtime'"),
    (tr("add-column", "column", LOC, value="x", expression="$a + ",
        **{"data-type": {"type": "int4"}}), "not valid SQLite syntax"),
    (tr("add-column", "column", LOC, value="x", expression="(SELECT max($a) FROM t)",
        **{"data-type": {"type": "int4"}}), "SUBQUERY"),
    (tr("add-column", "column", LOC, value="x", expression="FIRST_NAME",
        **{"data-type": {"type": "string"}}), "columns are written $NAME"),
    (sel(filters=[{"filter-type": "source", "column-name": "c",
                   "filter-conditions": [{"filter-operator": "like", "value": "x"}]}]),
     "unknown filter-operator 'like'"),
    (sel(filters=[{"filter-type": "source", "column-name": "c", "filter-conditions": [
        {"filter-operator": "between", "start-value": "1"}]}]), "needs 'end-value'"),
    (sel(filters=[{"filter-type": "source", "column-name": "c", "filter-conditions": [
        {"filter-operator": "eq"}]}]), "needs 'value'"),
    (sel(filters=[{"filter-type": "source", "column-name": "c", "filter-conditions": [
        {"filter-operator": "noteq", "value": "1"}, {"filter-operator": "eq", "value": "2"}]}]),
     "must be the only condition of its filter"),
    (sel(filters=[{"filter-type": "target", "column-name": "c", "filter-conditions": [
        {"filter-operator": "null"}]}]), "filter-type 'target'"),
    (sel(filters=[{"filter-type": "source", "filter-conditions": [
        {"filter-operator": "null"}]}]), "a filter needs 'column-name'"),
    (sel(filters=[{"filter-type": "source", "column-name": "c", "filter-conditions": []}]),
     "non-empty 'filter-conditions'"),
    (sel(action="exclude", filters=[{"filter-type": "source", "column-name": "c",
                                     "filter-conditions": [{"filter-operator": "null"}]}]),
     "filters apply to include rules only"),
    (ts(LOC), "needs 'parallel-load' or 'lob-settings'"),
    (ts(LOC, **{"parallel-load": {"type": "segments"}}), "type 'segments'"),
    (ts(LOC, **{"parallel-load": {"type": "ranges", "columns": ["a"]}}), "needs 'boundaries'"),
    (ts(LOC, **{"parallel-load": {"type": "ranges", "boundaries": [["1"]]}}), "needs 'columns'"),
    (ts(LOC, **{"parallel-load": {"type": "ranges", "columns": ["a", "b"],
                                  "boundaries": [["1"]]}}), "boundary 1 must list 2 value(s)"),
    (ts(LOC, **{"parallel-load": {"type": "ranges", "columns": [f"c{i}" for i in range(11)],
                                  "boundaries": [["1"] * 11]}}), "at most 10 columns"),
    (ts(LOC, **{"parallel-load": {"type": "partitions-list"}}), "needs 'partitions'"),
    (ts(LOC, **{"lob-settings": {"mode": "full"}}), "mode 'full'"),
    (ts(LOC, **{"lob-settings": {"mode": "limited"}}), "needs a bulk-max-size above 0"),
    (ts(LOC, **{"lob-settings": {"bulk-max-size": "32MB"}}), "whole number of KB"),
]


@pytest.mark.parametrize(("raw", "words"), BAD)
def test_bad_rules_name_rule_id_and_name(raw: dict[str, Any], words: str) -> None:
    rules = [raw] if raw.get("rule-type") == "selection" else [sel(rid="99"), raw]
    with pytest.raises(MappingRuleError) as err:
        parse_rules({"rules": rules})
    assert words in str(err.value)
    if "rule-id" in raw:
        assert err.value.rule_id == raw["rule-id"]
        assert raw.get("rule-name", raw["rule-id"]) in str(err.value)


def test_duplicate_rule_id() -> None:
    with pytest.raises(MappingRuleError, match="duplicate rule-id"):
        parse_rules({"rules": [sel(rid="1"), sel(rid="1")]})


def test_a_mapping_without_an_include_rule_selects_nothing() -> None:
    with pytest.raises(MappingRuleError, match="no include or explicit selection rule"):
        parse_rules({"rules": [sel(action="exclude")]})
