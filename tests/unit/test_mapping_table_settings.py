"""Table-settings rules: parallel-load segments (AWS's documented ranges example, evaluated
in SQLite against AWS's own WHERE clauses), NULL segments, partitions, LOB limits."""

from __future__ import annotations

import itertools
import sqlite3
from typing import Any, ClassVar

import pytest
from sparkdms.connectors.sql import partitions as sqlparts

from sparkdms.catalog import Catalog
from sparkdms.errors import MappingRuleError
from sparkdms.plan.mapping import parse_rules
from sparkdms.plan.mapping.table_settings import partition_request
from tests.unit.test_mapping_support import (
    PG_DST,
    PG_SRC,
    SALES,
    col,
    plan,
    sel,
    table,
    table_plan,
    ts,
)

SEG = table("s", "seg", col("COL1", "integer", nullable=False),
            col("COL2", "integer", nullable=False), col("COL3", "integer", nullable=False))
# the segment WHERE clauses AWS DMS documents for boundaries (10,30,105), (20,20,120),
# (100,12,99) on COL1, COL2, COL3
AWS_SEGMENTS = [
    "((COL1 < 10) OR ((COL1 = 10) AND (COL2 < 30)) OR ((COL1 = 10) AND (COL2 = 30) AND "
    "(COL3 < 105)))",
    "NOT ((COL1 < 10) OR ((COL1 = 10) AND (COL2 < 30)) OR ((COL1 = 10) AND (COL2 = 30) AND "
    "(COL3 < 105))) AND ((COL1 < 20) OR ((COL1 = 20) AND (COL2 < 20)) OR ((COL1 = 20) AND "
    "(COL2 = 20) AND (COL3 < 120)))",
    "NOT ((COL1 < 20) OR ((COL1 = 20) AND (COL2 < 20)) OR ((COL1 = 20) AND (COL2 = 20) AND "
    "(COL3 < 120))) AND ((COL1 < 100) OR ((COL1 = 100) AND (COL2 < 12)) OR ((COL1 = 100) AND "
    "(COL2 = 12) AND (COL3 < 99)))",
    "NOT ((COL1 < 100) OR ((COL1 = 100) AND (COL2 < 12)) OR ((COL1 = 100) AND (COL2 = 12) AND "
    "(COL3 < 99)))",
]


def range_partitioning(rule: Any, table: Any, source: Any) -> Any:
    """The rule checked by the core, its segments built by the relational source."""
    return sqlparts.range_partitioning(source, table, partition_request(rule, table))


def native_partitioning(rule: Any, table: Any, source: Any) -> Any:
    return sqlparts.native_partitioning(source, table, partition_request(rule, table))


def ranges_rule(columns: list[str], boundaries: list[list[Any]], schema: str = "s",
                name: str = "seg") -> Any:
    rules = parse_rules({"rules": [sel(), ts({"schema-name": schema, "table-name": name},
                                             **{"parallel-load": {"type": "ranges",
                                                                  "columns": columns,
                                                                  "boundaries": boundaries}})]})
    return rules[1]


def segment_of(db: sqlite3.Connection, predicates: list[str], row: tuple) -> list[int]:
    return [i for i, p in enumerate(predicates)
            if db.execute(f"SELECT 1 FROM seg WHERE {p} AND (COL1, COL2, COL3) = (?, ?, ?)",
                          row).fetchone()]


def test_aws_documented_ranges_example_segments_match_aws_where_clauses() -> None:
    rule = ranges_rule(["COL1", "COL2", "COL3"], [[10, 30, 105], [20, 20, 120], [100, 12, 99]])
    part = range_partitioning(rule, SEG, PG_SRC)
    assert part.method == "ranges" and part.count == 4  # N boundaries, N+1 segments
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE seg (COL1 int, COL2 int, COL3 int)")
    values = [0, 10, 11, 12, 20, 30, 99, 100, 105, 120, 200]
    rows = list(itertools.product(values, values, values))
    db.executemany("INSERT INTO seg VALUES (?, ?, ?)", rows)
    for row in rows:
        ours, aws = segment_of(db, list(part.described), row), segment_of(db, AWS_SEGMENTS, row)
        assert len(ours) == 1 and ours == aws, row


def test_rows_with_null_range_values_get_their_own_segment() -> None:
    t = table("s", "seg", col("id", "integer"), col("name", "varchar(10)"))
    part = range_partitioning(ranges_rule(["id"], [["100"], ["200"]]), t, PG_SRC)
    assert part.described == (
        '"id" IS NOT NULL AND ("id" < 100)',
        '"id" IS NOT NULL AND ("id" < 200) AND NOT ("id" < 100)',
        '"id" IS NOT NULL AND NOT (("id" < 100) OR ("id" < 200))',
        '"id" IS NULL')
    db = sqlite3.connect(":memory:")
    db.execute('CREATE TABLE seg ("id" int, name text)')
    db.executemany("INSERT INTO seg VALUES (?, 'x')", [(v,) for v in (None, 5, 100, 150, 200, 999,
                                                                      None)])
    counts = [db.execute(f"SELECT count(*) FROM seg WHERE {p}").fetchone()[0]
              for p in part.described]
    assert counts == [1, 2, 2, 2] and sum(counts) == 7  # every row once, NULLs kept


def test_boundaries_in_any_order_still_split_every_row_once() -> None:
    t = table("s", "seg", col("id", "integer", nullable=False))
    part = range_partitioning(ranges_rule(["id"], [["300"], ["100"], ["200"]]), t, PG_SRC)
    db = sqlite3.connect(":memory:")
    db.execute('CREATE TABLE seg ("id" int)')
    db.executemany("INSERT INTO seg VALUES (?)", [(v,) for v in range(0, 400, 7)])
    hits = [db.execute(f"SELECT count(*) FROM seg WHERE {p}").fetchone()[0]
            for p in part.described]
    assert sum(hits) == len(range(0, 400, 7))


def test_aws_sales_example_with_text_and_number_boundaries() -> None:
    part = range_partitioning(ranges_rule(["SALES_NO", "REGION"], [["1000", "NORTH"],
                                                                   ["3000", "WEST"]],
                                          "HR", "SALES"), SALES, PG_SRC)
    assert part.described[0] == ('"REGION" IS NOT NULL AND (("SALES_NO" < 1000) OR '
                                  '("SALES_NO" = 1000 AND "REGION" < \'NORTH\'))')
    assert part.described[-1] == '"REGION" IS NULL'
    assert part.column == "SALES_NO, REGION"


@pytest.mark.parametrize(("columns", "boundaries", "words"), [
    (["SALES_NO"], [["ten"]], "boundary 1, column SALES_NO: 'ten' is not a number"),
    (["NOPE"], [["1"]], "parallel-load column 'NOPE' does not exist in HR.SALES"),
    (["RATE"], [["1.5"]], "cannot use floating-point or LOB columns"),
    (["DOC"], [["x"]], "cannot use floating-point or LOB columns"),
    (["SALES_NO"], [[None]], "boundary 1 has a null value"),
])
def test_range_errors_name_the_rule(columns: list[str], boundaries: list[list[Any]],
                                    words: str) -> None:
    with pytest.raises(MappingRuleError) as err:
        range_partitioning(ranges_rule(columns, boundaries, "HR", "SALES"), SALES, PG_SRC)
    assert words in str(err.value) and err.value.rule_id == "3"


class Partitioned:
    """A source whose catalog lists native partitions (the PostgreSQL and MariaDB listings
    run against real servers in tests/integration/test_mapping_partitions.py)."""

    engine = "postgres"
    PARTS: ClassVar = [("sales_2023", "y = 2023"), ("sales_2024", "y = 2024"), ("sales_other", "y > 2024")]

    def native_partitions(self, table: Any, leaves: bool = False) -> list[tuple[str, str]]:
        return [] if leaves else self.PARTS


@pytest.mark.parametrize(("load", "method", "preds"), [
    ({"type": "partitions-auto"}, "partitions", ("y = 2023", "y = 2024", "y > 2024")),
    ({"type": "subpartitions-auto"}, "partitions", ("y = 2023", "y = 2024", "y > 2024")),
    ({"type": "partitions-list", "partitions": ["sales_2024"]}, "partitions-list",
     ("y = 2024", "(y = 2023) OR (y > 2024)")),  # the unlisted rows: one more segment
    ({"type": "partitions-list", "partitions": ["sales_2024", "sales_2023", "sales_other"]},
     "partitions-list", ("y = 2024", "y = 2023", "y > 2024")),
])
def test_native_partitions(load: dict[str, Any], method: str, preds: tuple[str, ...]) -> None:
    rule = parse_rules({"rules": [sel(), ts({"schema-name": "HR", "table-name": "SALES"},
                                            **{"parallel-load": load})]})[1]
    part = native_partitioning(rule, SALES, Partitioned())
    assert part is not None and (part.method, part.described) == (method, preds)


def test_partitions_list_names_a_partition_that_does_not_exist() -> None:
    rule = parse_rules({"rules": [sel(), ts({"schema-name": "HR", "table-name": "SALES"}, **{
        "parallel-load": {"type": "partitions-list", "partitions": ["sales_1999"]}})]})[1]
    with pytest.raises(MappingRuleError) as err:
        native_partitioning(rule, SALES, Partitioned())
    assert "'sales_1999', which HR.SALES does not have; it has: sales_2023, sales_2024, " \
           "sales_other" in str(err.value)


LOBS = table("INV", "ITEMS", col("id", "integer", nullable=False), col("body", "text"),
             col("data", "bytea"), col("doc", "jsonb"), col("title", "varchar(40)"), pk=("id",))
INV = {"schema-name": "INV", "table-name": "ITEMS"}


@pytest.mark.parametrize(("rules", "settings", "expected"), [
    ([ts(INV, **{"lob-settings": {"bulk-max-size": "16"}})], None,
     (16 * 1024, ("body", "data"), "rule 3 ('ts3')")),
    ([ts(INV, **{"lob-settings": {"mode": "limited", "bulk-max-size": 100000}})], None,
     (100000 * 1024, ("body", "data"), "rule 3 ('ts3')")),
    ([ts(INV, **{"lob-settings": {"mode": "unlimited", "bulk-max-size": "0"}})],
     {"TargetMetadata": {"LimitedSizeLobMode": True, "LobMaxSize": 32}}, None),
    ([ts(INV, **{"lob-settings": {"mode": "none", "bulk-max-size": "100000"}})],
     {"TargetMetadata": {"LimitedSizeLobMode": True, "LobMaxSize": 32}},
     (32 * 1024, ("body", "data"), "TargetMetadata.LobMaxSize")),
    ([], {"TargetMetadata": {"LimitedSizeLobMode": True, "LobMaxSize": 32}},
     (32 * 1024, ("body", "data"), "TargetMetadata.LobMaxSize")),
    ([], None, None),
    # a wildcard rule applies; a rule naming the table exactly wins over it
    ([ts({"schema-name": "%", "table-name": "%"}, "3", **{"lob-settings": {"bulk-max-size": 1}}),
      ts(INV, "4", **{"lob-settings": {"bulk-max-size": 2}})], None,
     (2048, ("body", "data"), "rule 4 ('ts4')")),
])
def test_lob_limits(rules: list[dict[str, Any]], settings: dict[str, Any] | None,
                    expected: tuple | None) -> None:
    p = plan([sel("INV"), *rules], Catalog("postgres", (LOBS,)), settings=settings,
             target=PG_DST)
    limit = p.tables[0].lob_limit
    assert (None if limit is None else (limit.max_bytes, limit.columns, limit.origin)) == expected
    if expected is not None:
        assert p.tables[0].settings["lob-settings"]  # also keeps PostgreSQL's direct copy off


def test_two_exact_table_settings_for_one_table_are_an_error() -> None:
    with pytest.raises(MappingRuleError, match="already has lob-settings from rule 3"):
        plan([sel("INV"), ts(INV, "3", **{"lob-settings": {"bulk-max-size": 1}}),
              ts(INV, "4", **{"lob-settings": {"bulk-max-size": 2}})],
             Catalog("postgres", (LOBS,)), target=PG_DST)


def test_ranges_in_the_plan_and_parallel_load_none() -> None:
    p = plan([sel("HR"), ts({"schema-name": "HR", "table-name": "SALES"}, **{"parallel-load": {
        "type": "ranges", "columns": ["SALES_NO"], "boundaries": [["100"], ["200"]]}})],
             Catalog("postgres", (SALES,)), target=PG_DST)
    tp = table_plan(p, "SALES")
    assert (tp.partitioning.method, tp.partitioning.count) == ("ranges", 3)
    assert "3" in tp.rule_ids and tp.settings["parallel-load"]["type"] == "ranges"
    none = plan([sel("HR"), ts({"schema-name": "HR", "table-name": "SALES"},
                               **{"parallel-load": {"type": "none"}})],
                Catalog("postgres", (SALES,)), target=PG_DST)
    assert none.tables[0].partitioning.method == "single"
