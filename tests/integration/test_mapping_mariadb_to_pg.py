"""AWS DMS table mappings, MariaDB -> PostgreSQL, end to end: filters, a schema (database)
rename, case conversion chained after a suffix replacement, prefixes, a removed column,
added columns from SQLite expressions, changed types and a ranges parallel load with NULLs
in the range column. The target is compared row for row, both ways, with the result
computed independently in SQL on the source server."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, write_task

ROWS = 3000
FIRST = ["Zoë", "José", "Ærøskøbing", "李雷", "Ann", "O'Neil", None]
LAST = ["Smith", "Øster", "Müller", "王", "", "van Dijk"]
CITY = ["Berlin", "Nowhere", "Zürich", "élan", "Oslo", None]


def customer(g: int) -> tuple:
    email = None if g % 11 == 0 else (f"no-at-sign{g}" if g % 13 == 0
                                      else f"User{g}@Example{g % 4}.ORG")
    return (g, FIRST[g % 7], LAST[g % 6], email, CITY[g % 6],
            None if g % 17 == 0 else Decimal((g * 37) % 5000 - 1200) / 3,
            None if g % 19 == 0 else (g * 7) % 120 - 10,
            dt.datetime(2020, 1, 1) + g * dt.timedelta(hours=7, minutes=3, seconds=5.123456),
            None if g % 9 == 0 else (g * 13) % 45,
            None if g % 5 == 0 else "n✓" * (g % 30), g * 2,
            None if g % 3 == 0 else g % 2)


SOURCE_DDL = [
    """CREATE TABLE `Customers` (`Id` int PRIMARY KEY, `FirstName` varchar(40),
         `LastName` varchar(40), `Email` varchar(100), `City` varchar(30),
         `Balance` decimal(12,2), `Score` int, `Created` datetime(6), `RegionCode` int,
         `Notes` text, `InternalX` int, `Active` tinyint(1))""",
    "CREATE TABLE `DMS_orders` (`order_id` int PRIMARY KEY, `CustomerId` int, "
    "`amount` decimal(10,2), `note` text)",
    "CREATE TABLE `tmp_scratch` (x int)",
]

EXPECTED_CUSTOMERS = """
SELECT Id, FirstName, LastName, Email, City, Balance, CAST(Score AS CHAR), Created,
       RegionCode, Notes, Active,
       CONCAT(FirstName, ' ', LastName),
       CASE WHEN Balance >= 1000 THEN 'high' WHEN Balance >= 0 THEN 'low' ELSE 'negative' END,
       LOWER(SUBSTRING(Email, LOCATE('@', Email) + 1)),
       Score DIV 2,
       DATE_FORMAT(Created, '%%Y-%%m-%%d'),
       COALESCE(City, 'unknown'),
       ROUND(Balance * 1.1, 1),
       CONCAT(DATABASE(), '.Customers')
FROM `Customers`
WHERE (Score BETWEEN 10 AND 90 OR Score IS NULL) AND City <> 'Nowhere'
"""
TARGET_CUSTOMERS = """
SELECT id, first_name, last_name, email, city, balance, score, created, regioncode, notes,
       active, full_name, balance_band, email_domain, score_half, created_day, city_or,
       balance_plus, source_tag
FROM crm.customers"""


def rules(db: str) -> list[dict]:
    cust = {"schema-name": db, "table-name": "Customers"}
    added = [
        ("full_name", "$FirstName || ' ' || $LastName", {"type": "string", "length": 81}),
        ("balance_band", "CASE WHEN $Balance >= 1000 THEN 'high' WHEN $Balance >= 0 THEN 'low' "
         "ELSE 'negative' END", {"type": "string", "length": 10}),
        ("email_domain", "LOWER(SUBSTR($Email, INSTR($Email, '@') + 1))",
         {"type": "string", "length": 60}),
        ("score_half", "$Score / 2", {"type": "int4"}),
        ("created_day", "date($Created)", {"type": "string", "length": 10}),
        ("city_or", "IFNULL($City, 'unknown')", {"type": "string", "length": 30}),
        ("balance_plus", "ROUND($Balance * 1.1, 1)", {"type": "numeric", "precision": 14,
                                                      "scale": 1}),
        ("source_tag", "$AR_M_SOURCE_SCHEMA || '.' || $AR_M_SOURCE_TABLE_NAME",
         {"type": "string", "length": 60}),
    ]
    return [
        {"rule-type": "selection", "rule-id": "1", "rule-name": "all", "rule-action": "include",
         "object-locator": {"schema-name": db, "table-name": "%"}},
        {"rule-type": "selection", "rule-id": "2", "rule-name": "filtered", "rule-action":
         "include", "object-locator": cust, "filters": [
             {"filter-type": "source", "column-name": "Score", "filter-conditions": [
                 {"filter-operator": "between", "start-value": "10", "end-value": "90"},
                 {"filter-operator": "null"}]},
             {"filter-type": "source", "column-name": "City", "filter-conditions": [
                 {"filter-operator": "noteq", "value": "Nowhere"}]}]},
        {"rule-type": "selection", "rule-id": "3", "rule-name": "no-scratch",
         "rule-action": "exclude", "object-locator": {"schema-name": db,
                                                      "table-name": "tmp[_]%"}},
        {"rule-type": "transformation", "rule-id": "4", "rule-name": "schema", "rule-action":
         "rename", "rule-target": "schema", "object-locator": {"schema-name": db},
         "value": "crm"},
        {"rule-type": "transformation", "rule-id": "5", "rule-name": "tables-lower",
         "rule-action": "convert-lowercase", "rule-target": "table",
         "object-locator": {"schema-name": db, "table-name": "%"}},
        {"rule-type": "transformation", "rule-id": "6", "rule-name": "name-suffix",
         "rule-action": "replace-suffix", "rule-target": "column",
         "object-locator": {**cust, "column-name": "%Name"}, "value": "_Name",
         "old-value": "Name"},
        {"rule-type": "transformation", "rule-id": "7", "rule-name": "cols-lower",
         "rule-action": "convert-lowercase", "rule-target": "column",
         "object-locator": {"schema-name": db, "table-name": "%", "column-name": "%"}},
        {"rule-type": "transformation", "rule-id": "8", "rule-name": "drop-internal",
         "rule-action": "remove-column", "rule-target": "column",
         "object-locator": {**cust, "column-name": "InternalX"}},
        *[{"rule-type": "transformation", "rule-id": str(10 + i), "rule-name": name,
           "rule-action": "add-column", "rule-target": "column", "object-locator": cust,
           "value": name, "expression": expr, "data-type": dtype}
          for i, (name, expr, dtype) in enumerate(added)],
        {"rule-type": "transformation", "rule-id": "20", "rule-name": "score-text",
         "rule-action": "change-data-type", "rule-target": "column",
         "object-locator": {**cust, "column-name": "Score"},
         "data-type": {"type": "string", "length": 12}},
        {"rule-type": "transformation", "rule-id": "21", "rule-name": "balance-wider",
         "rule-action": "change-data-type", "rule-target": "column",
         "object-locator": {**cust, "column-name": "Balance"},
         "data-type": {"type": "numeric", "precision": 14, "scale": 2}},
        {"rule-type": "transformation", "rule-id": "22", "rule-name": "region-int8",
         "rule-action": "change-data-type", "rule-target": "column",
         "object-locator": {**cust, "column-name": "RegionCode"},
         "data-type": {"type": "int8"}},
        {"rule-type": "transformation", "rule-id": "23", "rule-name": "orders",
         "rule-action": "remove-prefix", "rule-target": "table",
         # rule 5 already made it dms_orders: rules chain in rule-id order
         "object-locator": {"schema-name": db, "table-name": "DMS%"}, "value": "dms_"},
        {"rule-type": "transformation", "rule-id": "24", "rule-name": "order-cols",
         "rule-action": "add-prefix", "rule-target": "column",
         "object-locator": {"schema-name": db, "table-name": "DMS_orders",
                            "column-name": "%"}, "value": "o_"},
        {"rule-type": "table-settings", "rule-id": "30", "rule-name": "ranges",
         "object-locator": cust, "parallel-load": {
             "type": "ranges", "columns": ["RegionCode"],
             "boundaries": [["10"], ["20"], ["30"]]}},
    ]


def test_mariadb_to_pg_with_aws_table_mappings(pg_db, my_db, spark, tmp_path: Path) -> None:
    db = my_db["database"]
    with my_connect(my_db) as conn, conn.cursor() as cur:
        for sql in SOURCE_DDL:
            cur.execute(sql)
        cur.executemany("INSERT INTO `Customers` VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                        [customer(g) for g in range(1, ROWS + 1)])
        cur.executemany("INSERT INTO `DMS_orders` VALUES (%s, %s, %s, %s)",
                        [(g, g % 500, Decimal(g) * Decimal("1.25"),
                          None if g % 4 == 0 else f"order {g}") for g in range(1, 701)])
        cur.execute("INSERT INTO tmp_scratch VALUES (1)")
        cur.execute("ANALYZE TABLE `Customers`")
        cur.fetchall()
        conn.commit()
    task = write_task(tmp_path, my_db, pg_db, rules(db), name="maria-pg-mapping")

    assert sparkdms(["plan", str(task)]) == 0
    report = tmp_path / "r.json"
    assert sparkdms(["run", str(task), "--report", str(report)]) == 0
    stats = {t["TableName"]: t for t in json.loads(report.read_text())["tables"]}
    assert set(stats) == {"Customers", "DMS_orders"}
    cust = stats["Customers"]
    assert (cust["TargetSchema"], cust["TargetTable"]) == ("crm", "customers")
    assert (cust["PartitionMethod"], cust["Partitions"]) == ("ranges", 5)

    with my_connect(my_db) as conn:
        expected = fetch(conn, EXPECTED_CUSTOMERS)
        orders = fetch(conn, "SELECT order_id, CustomerId, amount, note FROM `DMS_orders`")
    with pg_connect(pg_db) as conn:
        target = fetch(conn, TARGET_CUSTOMERS)
        target_orders = fetch(conn, "SELECT o_order_id, o_customerid, o_amount, o_note "
                                    "FROM crm.orders")
        types = dict(fetch(conn, "SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_schema = 'crm' AND table_name = 'customers'"))
        tables = fetch(conn, "SELECT table_schema, table_name FROM information_schema.tables "
                             "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                             "AND table_name NOT LIKE 'sparkdms%%' ORDER BY 1, 2")
    assert 0 < len(expected) < ROWS and any(r[8] is None for r in expected)
    assert cust["FullLoadRows"] == len(expected)
    assert_same_rows(normalise(expected, bool_as_int=True), normalise(target, bool_as_int=True))
    assert_same_rows(normalise(orders), normalise(target_orders))
    assert (types["score"], types["regioncode"], types["balance"]) == (
        "character varying", "bigint", "numeric")
    assert "internalx" not in types
    assert tables == [("crm", "customers"), ("crm", "orders")]
