"""PostgreSQL -> PostgreSQL direct copy with a rename, widened types and added columns
(connectors/postgres/copycolumns.py): the table it writes must equal, value for value and
both ways, the table the DataFrame path (Spark) writes from the same source and rules."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.conftest import pg_beside, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task
from tests.integration.test_full_load import run_ok

DDL = """CREATE TABLE public.sales (
  id integer PRIMARY KEY, amount numeric(12,2), qty smallint, name varchar(20), code text,
  ratio real, zone bigint)"""
ROWS = [
    (1, Decimal("9999999999.99"), 32767, "Zoë 李雷 🚀", "a\tb", 0.1, -9223372036854775808),
    (2, Decimal("-0.01"), -3, "", "", -1.5e30, 0),
    (3, None, None, None, None, None, None),
    (4, Decimal("0.05"), 5, "x'y\"z\\", None, 3.4028235e38, 9223372036854775807),
    (5, Decimal("12.35"), 0, None, "c", 0.0, -7),
]


def column_rule(rule_id: str, action: str, column: str | None = None, **more: object) -> dict:
    locator = {"schema-name": "public", "table-name": "sales"}
    if column:
        locator["column-name"] = column
    return {"rule-type": "transformation", "rule-id": rule_id, "rule-name": rule_id,
            "rule-target": "column", "object-locator": locator, "rule-action": action, **more}


def added(rule_id: str, name: str, expression: str, data_type: dict) -> dict:
    return column_rule(rule_id, "add-column", value=name, expression=expression,
                       **{"data-type": data_type})


RULES = [
    selection("public", "sales"),
    column_rule("2", "rename", "name", value="label"),
    column_rule("3", "change-data-type", "qty", **{"data-type": {"type": "int8"}}),
    column_rule("4", "change-data-type", "amount",
                **{"data-type": {"type": "numeric", "precision": 16, "scale": 3}}),
    column_rule("5", "change-data-type", "ratio", **{"data-type": {"type": "real8"}}),
    column_rule("5b", "change-data-type", "zone", **{"data-type": {"type": "string",
                                                                    "length": 20}}),
    added("6", "total", "$amount * $qty", {"type": "numeric", "precision": 20, "scale": 1}),
    added("7", "tag", "$code || '-' || $name", {"type": "string", "length": 100}),
    added("8", "size", "CASE WHEN $qty > 3 THEN 'big' ELSE 'small' END",
          {"type": "string", "length": 10}),
    added("9", "shout", "upper($name)", {"type": "string", "length": 40}),  # not copyable
]


@pytest.fixture
def pg_third(pg_db: dict) -> Iterator[dict]:
    with pg_beside(pg_db, "_df") as dst:
        yield dst


def load(tmp_path: Path, src: dict, dst: dict, rules: list[dict], direct: bool) -> dict:
    folder = tmp_path / ("direct" if direct else "dataframe")
    folder.mkdir()
    task = write_task(folder, src, dst, rules,
                      {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                       "Sparkdms": {"DirectCopy": direct}})
    return run_ok(task, folder / "r.json")["tables"][0]


def table_of(endpoint: dict) -> tuple[list[tuple], list[tuple]]:
    with pg_connect(endpoint) as conn:
        types = fetch(conn, "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                            "WHERE attrelid = 'public.sales'::regclass AND attnum > 0 "
                            "ORDER BY attnum")
        return types, fetch(conn, "SELECT * FROM public.sales")


@pytest.mark.parametrize("copyable", [True, False], ids=["direct", "one-column-not-copyable"])
def test_direct_copy_equals_dataframe_path(copyable, pg_db, pg_dst, pg_third, spark, tmp_path):
    with pg_connect(pg_db) as conn, conn.cursor() as cur:
        cur.execute(DDL)
        cur.executemany("INSERT INTO public.sales VALUES (%s, %s, %s, %s, %s, %s, %s)", ROWS)
    rules = RULES if not copyable else RULES[:-1]
    direct = load(tmp_path, pg_db, pg_dst, rules, direct=True)
    frame = load(tmp_path, pg_db, pg_third, rules, direct=False)
    assert ("direct copy" in direct["PartitionMethod"]) is copyable
    assert "direct copy" not in frame["PartitionMethod"]
    (types_a, rows_a), (types_b, rows_b) = table_of(pg_dst), table_of(pg_third)
    assert types_a == types_b
    assert ("total", "numeric(20,1)") in types_a and ("qty", "bigint") in types_a
    assert ("zone", "character varying(20)") in types_a
    assert_same_rows(normalise(rows_b), normalise(rows_a))  # both ways, NULLs included
    by_id = {r[0]: r for r in rows_a}
    assert by_id[1][1] == Decimal("9999999999.990") and by_id[4][7] == Decimal("0.3")
    assert by_id[3][7] is None and by_id[1][8] == "a\tb-Zoë 李雷 🚀" and by_id[4][8] is None
    assert len(rows_a) == len(ROWS)
    assert [by_id[i][6] for i in range(1, 6)] == ["-9223372036854775808", "0", None,
                                                  "9223372036854775807", "-7"]
