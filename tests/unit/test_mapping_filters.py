"""Source filters: every operator, in each source dialect, with values typed or quoted by
the dialect; conditions ORed inside a filter, filters ANDed; AWS's documented examples."""

from __future__ import annotations

from typing import Any

import pytest

from sparkdms.catalog import Catalog
from sparkdms.errors import MappingRuleError
from tests.unit.test_mapping_support import MY_SRC, PG_DST, PG_SRC, col, plan, sel, table

EMPLOYEE = table("test", "employee", col("empid", "integer"), col("dept", "varchar(20)"),
                 col("empstartdate", "date"), col("active", "boolean"),
                 col("salary", "numeric(10,2)"), col("Name", "text"))
CATALOG = Catalog("postgres", (EMPLOYEE,))
MY_EMPLOYEE = table("test", "employee", col("empid", "int(11)", "mariadb"),
                    col("dept", "varchar(20)", "mariadb"), col("empstartdate", "date", "mariadb"))


def flt(column: str, *conds: dict[str, Any]) -> dict[str, Any]:
    return {"filter-type": "source", "column-name": column, "filter-conditions": list(conds)}


def filters(*fs: dict[str, Any], source: Any = PG_SRC, catalog: Catalog = CATALOG) -> tuple:
    p = plan([sel("test", "employee", filters=list(fs))], catalog, source=source,
             target=PG_DST)
    tp = p.tables[0]  # checked as data by the core, rendered as SQL by the source
    return tuple(source.filter_sql(f, tp.source) for f in tp.filters)


@pytest.mark.parametrize(("cond", "pg", "mysql"), [
    ({"filter-operator": "lte", "value": "10"}, '"empid" <= 10', "`empid` <= 10"),
    ({"filter-operator": "ste", "value": "10"}, '"empid" <= 10', "`empid` <= 10"),
    ({"filter-operator": "gte", "value": "100"}, '"empid" >= 100', "`empid` >= 100"),
    ({"filter-operator": "eq", "value": " 7 "}, '"empid" = 7', "`empid` = 7"),
    ({"filter-operator": "noteq", "value": "50"}, '"empid" <> 50', "`empid` <> 50"),
    ({"filter-operator": "between", "start-value": "50", "end-value": "75"},
     '"empid" BETWEEN 50 AND 75', "`empid` BETWEEN 50 AND 75"),
    ({"filter-operator": "notbetween", "start-value": "50", "end-value": "75"},
     '"empid" NOT BETWEEN 50 AND 75', "`empid` NOT BETWEEN 50 AND 75"),
    ({"filter-operator": "null"}, '"empid" IS NULL', "`empid` IS NULL"),
    ({"filter-operator": "notnull"}, '"empid" IS NOT NULL', "`empid` IS NOT NULL"),
    ({"filter-operator": "gte", "value": "1e3"}, '"empid" >= 1000', "`empid` >= 1000"),
])
def test_every_operator_in_both_dialects(cond: dict[str, Any], pg: str, mysql: str) -> None:
    assert filters(flt("empid", cond)) == (pg,)
    my_catalog = Catalog("mariadb", (MY_EMPLOYEE,))
    assert filters(flt("empid", cond), source=MY_SRC, catalog=my_catalog) == (mysql,)


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("dept", "tech", "\"dept\" = 'tech'"),
    ("dept", "O'Brien", "\"dept\" = 'O''Brien'"),  # quoted by the dialect, never pasted
    ("dept", "x'; DROP TABLE employee; --", "\"dept\" = 'x''; DROP TABLE employee; --'"),
    ("empstartdate", "2002-01-01", "\"empstartdate\" = '2002-01-01'"),  # AWS date example
    ("salary", "1234.50", '"salary" = 1234.50'),
    ("active", "true", '"active" = TRUE'),
    ("active", "0", '"active" = FALSE'),
    ("Name", "Zoë", "\"Name\" = 'Zoë'"),
])
def test_values_are_typed_or_quoted(column: str, value: str, expected: str) -> None:
    assert filters(flt(column, {"filter-operator": "eq", "value": value})) == (expected,)


def test_mysql_escapes_backslashes_too() -> None:
    got = filters(flt("dept", {"filter-operator": "eq", "value": "a\\'b"}), source=MY_SRC,
                  catalog=Catalog("mariadb", (MY_EMPLOYEE,)))
    assert got == ("`dept` = 'a\\\\''b'",)


def test_aws_examples_or_within_a_filter_and_between_filters() -> None:
    # (empid <= 10) OR (empid between 50 and 75) OR (empid >= 100)
    assert filters(flt("empid", {"filter-operator": "lte", "value": "10"},
                       {"filter-operator": "between", "start-value": "50", "end-value": "75"},
                       {"filter-operator": "gte", "value": "100"})) == (
        '("empid" <= 10) OR ("empid" BETWEEN 50 AND 75) OR ("empid" >= 100)',)
    # (empid <= 100) AND (dept = tech): one SQL predicate per filter, ANDed by the reader
    assert filters(flt("empid", {"filter-operator": "lte", "value": "100"}),
                   flt("dept", {"filter-operator": "eq", "value": "tech"})) == (
        '"empid" <= 100', "\"dept\" = 'tech'")


def test_filters_of_every_include_rule_on_a_table_apply() -> None:
    p = plan([sel("test", "%"),
              sel("test", "employee", rid="2", filters=[flt("dept", {"filter-operator": "eq",
                                                                      "value": "tech"})]),
              sel("%", "employ%", rid="3", filters=[flt("empid", {"filter-operator": "gte",
                                                                   "value": "5"})])],
             CATALOG, target=PG_DST)
    tp = p.tables[0]
    assert tuple(PG_SRC.filter_sql(f, tp.source) for f in tp.filters) == (
        "\"dept\" = 'tech'", '"empid" >= 5')
    assert p.tables[0].rule_ids == ("1", "2", "3")


@pytest.mark.parametrize(("f", "words"), [
    (flt("empid", {"filter-operator": "eq", "value": "ten"}), "'ten' is not a number"),
    (flt("empid", {"filter-operator": "eq", "value": "NaN"}), "not a finite number"),
    (flt("active", {"filter-operator": "eq", "value": "maybe"}), "not a boolean"),
    (flt("EMPID", {"filter-operator": "null"}), "did you mean 'empid'"),
    (flt("nope", {"filter-operator": "null"}), "filter column 'nope' does not exist"),
])
def test_filter_errors_name_rule_and_column(f: dict[str, Any], words: str) -> None:
    with pytest.raises(MappingRuleError) as err:
        filters(f)
    assert words in str(err.value) and err.value.rule_id == "1"
