"""AWS DMS table mappings, PostgreSQL -> MariaDB, end to end: filters, a schema rename, a
table rename, case conversion, prefixes, a removed column, added columns from SQLite
expressions, changed types and a ranges parallel load with NULLs in the range column. The
target is compared row for row, both ways, with the result computed independently in SQL
on the source server."""

from __future__ import annotations

import json
from pathlib import Path

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, write_task

ROWS = 3000
UPPER_ASCII = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

SOURCE_DDL = [
    "CREATE SCHEMA sales",
    """CREATE TABLE sales.customers (
         "Id" integer PRIMARY KEY, "FirstName" varchar(40), "LastName" varchar(40),
         "Email" text, "City" varchar(30), "Balance" numeric(12,2), "Score" integer,
         "Created" timestamp(6), "RegionCode" integer, "Notes" text, "InternalX" integer,
         "Active" boolean)""",
    f"""INSERT INTO sales.customers
       SELECT g,
              (ARRAY['Zoë','José','Ærøskøbing','李雷','Ann','O''Neil',NULL])[g % 7 + 1],
              (ARRAY['Smith','Øster','Müller','王','','van Dijk'])[g % 6 + 1],
              CASE WHEN g % 11 = 0 THEN NULL
                   WHEN g % 13 = 0 THEN 'no-at-sign' || g
                   ELSE 'User' || g || '@Example' || (g % 4) || '.ORG' END,
              (ARRAY['Berlin','Nowhere','Zürich','élan','Oslo',NULL])[g % 6 + 1],
              CASE WHEN g % 17 = 0 THEN NULL ELSE ((g * 37) % 5000 - 1200) / 3.0 END,
              CASE WHEN g % 19 = 0 THEN NULL ELSE (g * 7) % 120 - 10 END,
              timestamp '2020-01-01 00:00:00' + g * interval '7 hours 3 minutes 5.123456 seconds',
              CASE WHEN g % 9 = 0 THEN NULL ELSE (g * 13) % 45 END,
              CASE WHEN g % 5 = 0 THEN NULL ELSE repeat('n✓', g % 30) END,
              g * 2,
              CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END
       FROM generate_series(1, {ROWS}) g""",
    """CREATE TABLE sales."DMS_orders" (order_id integer PRIMARY KEY, "CustomerId" integer,
         amount numeric(10,2), note text)""",
    """INSERT INTO sales."DMS_orders" SELECT g, g % 500, g * 1.25, CASE WHEN g % 4 = 0 THEN NULL
       ELSE 'order ' || g END FROM generate_series(1, 700) g""",
    "CREATE TABLE sales.tmp_scratch (x integer)",
    "INSERT INTO sales.tmp_scratch VALUES (1)",
]

# the expected customers rows, computed by PostgreSQL with the documented semantics
EXPECTED_CUSTOMERS = f"""
SELECT "Id", "FirstName", "LastName", "Email", "City", "Balance", CAST("Score" AS text),
       "Created", CAST("RegionCode" AS bigint), "Notes", CAST("Active" AS int),
       "FirstName" || ' ' || "LastName",
       CASE WHEN "Balance" >= 1000 THEN 'high' WHEN "Balance" >= 0 THEN 'low' ELSE 'negative' END,
       translate(substr("Email", strpos("Email", '@') + 1), '{UPPER_ASCII}', '{UPPER_ASCII.lower()}'),
       translate("City", '{UPPER_ASCII.lower()}', '{UPPER_ASCII}'),
       'sales.customers',
       "Score" / 2,
       to_char("Created", 'YYYY-MM'),
       CAST(NULL AS text)
FROM sales.customers
WHERE ("Score" BETWEEN 10 AND 90 OR "Score" IS NULL) AND "City" <> 'Nowhere'
"""
TARGET_CUSTOMERS = """
SELECT id, firstname, lastname, email, city, account_balance, score, created, regioncode, notes,
       active, full_name, balance_band, email_domain, city_upper, source_tag, score_half,
       created_month, note_added
FROM `{db}`.`clients`"""


def rules(crm: str) -> list[dict]:
    cust = {"schema-name": "sales", "table-name": "customers"}
    return [
        {"rule-type": "selection", "rule-id": "1", "rule-name": "sales", "rule-action": "include",
         "object-locator": {"schema-name": "sales", "table-name": "%"}},
        {"rule-type": "selection", "rule-id": "2", "rule-name": "customers-filtered",
         "rule-action": "include", "object-locator": cust,
         "filters": [{"filter-type": "source", "column-name": "Score", "filter-conditions": [
             {"filter-operator": "between", "start-value": "10", "end-value": "90"},
             {"filter-operator": "null"}]},
             {"filter-type": "source", "column-name": "City", "filter-conditions": [
                 {"filter-operator": "noteq", "value": "Nowhere"}]}]},
        {"rule-type": "selection", "rule-id": "3", "rule-name": "no-scratch",
         "rule-action": "exclude", "object-locator": {"schema-name": "sales",
                                                      "table-name": "tmp[_]%"}},
        {"rule-type": "transformation", "rule-id": "4", "rule-name": "schema", "rule-action":
         "rename", "rule-target": "schema", "object-locator": {"schema-name": "sales"},
         "value": crm},
        {"rule-type": "transformation", "rule-id": "5", "rule-name": "clients", "rule-action":
         "rename", "rule-target": "table", "object-locator": cust, "value": "clients"},
        {"rule-type": "transformation", "rule-id": "6", "rule-name": "lower-cols", "rule-action":
         "convert-lowercase", "rule-target": "column",
         "object-locator": {**cust, "column-name": "%"}},
        {"rule-type": "transformation", "rule-id": "7", "rule-name": "balance", "rule-action":
         "rename", "rule-target": "column", "object-locator": {**cust, "column-name": "Balance"},
         "value": "account_balance"},
        {"rule-type": "transformation", "rule-id": "8", "rule-name": "drop-internal",
         "rule-action": "remove-column", "rule-target": "column",
         "object-locator": {**cust, "column-name": "Internal%"}},
        *[{"rule-type": "transformation", "rule-id": str(9 + i), "rule-name": name,
           "rule-action": "add-column", "rule-target": "column", "object-locator": cust,
           "value": name, "data-type": dtype, **({"expression": expr} if expr else {})}
          for i, (name, expr, dtype) in enumerate([
              ("full_name", "$FirstName || ' ' || $LastName", {"type": "string", "length": 81}),
              ("balance_band", "CASE WHEN $Balance >= 1000 THEN 'high' WHEN $Balance >= 0 THEN "
               "'low' ELSE 'negative' END", {"type": "string", "length": 10}),
              ("email_domain", "lower(substr($Email, instr($Email, '@') + 1))",
               {"type": "string", "length": 60}),
              ("city_upper", "upper($City)", {"type": "string", "length": 30}),
              ("source_tag", "$AR_M_SOURCE_SCHEMA || '.' || $AR_M_SOURCE_TABLE_NAME",
               {"type": "string", "length": 40}),
              ("score_half", "$Score / 2", {"type": "int4"}),
              ("created_month", "strftime('%Y-%m', $Created)", {"type": "string", "length": 7}),
              ("note_added", None, {"type": "string", "length": 5}),
          ])],
        {"rule-type": "transformation", "rule-id": "20", "rule-name": "score-text",
         "rule-action": "change-data-type", "rule-target": "column",
         "object-locator": {**cust, "column-name": "Score"},
         "data-type": {"type": "string", "length": 12}},
        {"rule-type": "transformation", "rule-id": "21", "rule-name": "region-int8",
         "rule-action": "change-data-type", "rule-target": "column",
         "object-locator": {**cust, "column-name": "%", "data-type": "int4"},
         "data-type": {"type": "int8"}},
        {"rule-type": "transformation", "rule-id": "22", "rule-name": "orders", "rule-action":
         "remove-prefix", "rule-target": "table",
         "object-locator": {"schema-name": "sales", "table-name": "%"}, "value": "DMS_"},
        {"rule-type": "transformation", "rule-id": "23", "rule-name": "order-cols",
         "rule-action": "add-prefix", "rule-target": "column",
         "object-locator": {"schema-name": "sales", "table-name": "DMS_orders",
                            "column-name": "%"}, "value": "o_"},
        {"rule-type": "table-settings", "rule-id": "30", "rule-name": "ranges",
         "object-locator": cust, "parallel-load": {
             "type": "ranges", "columns": ["RegionCode"],
             "boundaries": [["10"], ["20"], ["30"]]}},
    ]


def test_pg_to_mariadb_with_aws_table_mappings(pg_db, my_db, spark, tmp_path: Path) -> None:
    with pg_connect(pg_db) as conn, conn.cursor() as cur:
        for sql in SOURCE_DDL:
            cur.execute(sql)
    crm = f"{my_db['database']}_crm"
    task = write_task(tmp_path, pg_db, my_db, rules(crm), name="pg-maria-mapping")

    assert sparkdms(["plan", str(task)]) == 0
    report = tmp_path / "r.json"
    assert sparkdms(["run", str(task), "--report", str(report)]) == 0
    data = json.loads(report.read_text())
    stats = {t["TableName"]: t for t in data["tables"]}
    assert set(stats) == {"customers", "DMS_orders"}  # tmp_scratch excluded
    cust = stats["customers"]
    assert (cust["TargetSchema"], cust["TargetTable"]) == (crm, "clients")
    assert (cust["PartitionMethod"], cust["Partitions"]) == ("ranges", 5)  # 3 bounds + NULLs

    with pg_connect(pg_db) as conn:
        expected = fetch(conn, EXPECTED_CUSTOMERS)
        orders = fetch(conn, 'SELECT order_id, "CustomerId", amount, note FROM sales."DMS_orders"')
    with my_connect(my_db) as conn:
        target = fetch(conn, TARGET_CUSTOMERS.format(db=crm))
        target_orders = fetch(conn, f"SELECT o_order_id, o_CustomerId, o_amount, o_note "
                                    f"FROM `{crm}`.`orders`")
        types = dict(fetch(conn, "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
                                 "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = 'clients'", (crm,)))
        scratch = fetch(conn, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = "
                              "'tmp_scratch'")
    assert 0 < len(expected) < ROWS  # the filters removed rows, and kept some
    assert any(r[8] is None for r in expected)  # NULL range values are loaded
    assert cust["FullLoadRows"] == len(expected)
    assert_same_rows(normalise(expected, bool_as_int=True), normalise(target, bool_as_int=True))
    assert_same_rows(normalise(orders), normalise(target_orders))
    assert types["score"] == "varchar(12)" and types["regioncode"].startswith("bigint")
    assert types["full_name"] == "varchar(81)" and "internalx" not in types
    assert scratch == [(0,)]
