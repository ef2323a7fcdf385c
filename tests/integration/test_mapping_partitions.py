"""parallel-load by the source's own partitions: PostgreSQL declarative partitions (with a
default and a sub-partitioned partition) and MariaDB RANGE / LIST / HASH partitioning; one
segment per partition, a listed subset plus one segment for the rest, and every row loaded
exactly once (compared both ways)."""

from __future__ import annotations

import json

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, write_task

PG_DDL = [
    "CREATE TABLE public.events (id int, year int, note text) PARTITION BY RANGE (year)",
    "CREATE TABLE public.events_2022 PARTITION OF public.events FOR VALUES FROM (2022) TO (2023)",
    "CREATE TABLE public.events_2023 PARTITION OF public.events FOR VALUES FROM (2023) TO (2024) "
    "PARTITION BY LIST (id)",
    "CREATE TABLE public.events_2023_even PARTITION OF public.events_2023 FOR VALUES IN (3, 8, 13, 18)",
    "CREATE TABLE public.events_2023_rest PARTITION OF public.events_2023 DEFAULT",
    "CREATE TABLE public.events_other PARTITION OF public.events DEFAULT",
    "INSERT INTO public.events SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 2020 + g % 5 END, "
    "'e' || g FROM generate_series(1, 2000) g",
    "CREATE TABLE public.events_b (LIKE public.events) PARTITION BY RANGE (year)",
    "CREATE TABLE public.b_old PARTITION OF public.events_b FOR VALUES FROM (MINVALUE) TO (2022)",
    "CREATE TABLE public.b_new PARTITION OF public.events_b FOR VALUES FROM (2022) TO (MAXVALUE)",
    "CREATE TABLE public.b_rest PARTITION OF public.events_b DEFAULT",
    "INSERT INTO public.events_b SELECT * FROM public.events",
]


def table_settings(rule_id: str, schema: str, table: str, load: dict) -> dict:
    return {"rule-type": "table-settings", "rule-id": rule_id, "rule-name": f"pl-{table}",
            "object-locator": {"schema-name": schema, "table-name": table},
            "parallel-load": load}


def stats_of(report) -> dict:
    return {t["TableName"]: t for t in json.loads(report.read_text())["tables"]}


def test_postgres_partitions_auto_and_list(pg_db, my_db, spark, tmp_path):
    with pg_connect(pg_db) as conn, conn.cursor() as cur:
        for sql in PG_DDL:
            cur.execute(sql)
    rules = [{"rule-type": "selection", "rule-id": "1", "rule-name": "all",
              "rule-action": "include", "object-locator": {"schema-name": "public",
                                                           "table-name": "%"}},
             table_settings("2", "public", "events", {"type": "partitions-auto"}),
             table_settings("3", "public", "events_b", {"type": "partitions-list",
                                                        "partitions": ["b_new"]})]
    task = write_task(tmp_path, pg_db, my_db, rules)
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    stats = stats_of(tmp_path / "r.json")
    assert set(stats) == {"events", "events_b"}  # partitions are not tables of their own
    assert (stats["events"]["PartitionMethod"], stats["events"]["Partitions"]) == ("partitions", 3)
    assert (stats["events_b"]["PartitionMethod"], stats["events_b"]["Partitions"]) == (
        "partitions-list", 2)  # b_new, then b_old and b_rest together
    with pg_connect(pg_db) as conn:
        source = fetch(conn, "SELECT id, year, note FROM public.events")
        source_b = fetch(conn, "SELECT id, year, note FROM public.events_b")
    with my_connect(my_db) as conn:
        target = fetch(conn, "SELECT id, year, note FROM events")
        target_b = fetch(conn, "SELECT id, year, note FROM events_b")
    assert len(source) == 2000 and any(r[1] is None for r in source)
    assert_same_rows(normalise(source), normalise(target))
    assert_same_rows(normalise(source_b), normalise(target_b))


def test_postgres_subpartitions_auto_reads_leaf_partitions(pg_db, my_db, spark, tmp_path):
    with pg_connect(pg_db) as conn, conn.cursor() as cur:
        for sql in PG_DDL[:7]:
            cur.execute(sql)
    from sparkdms.app import prepare

    rules = [{"rule-type": "selection", "rule-id": "1", "rule-name": "all",
              "rule-action": "include", "object-locator": {"schema-name": "public",
                                                           "table-name": "events"}},
             table_settings("2", "public", "events", {"type": "subpartitions-auto"})]
    prep = prepare(write_task(tmp_path, pg_db, my_db, rules), check_target=False)
    part = prep.plan.tables[0].partitioning
    assert part.count == 4  # events_2022, events_2023_even, events_2023_rest, events_other
    with pg_connect(pg_db) as conn:
        counts = [fetch(conn, f"SELECT count(*) FROM public.events WHERE {p}")[0][0]
                  for p in part.described]
    assert sum(counts) == 2000 and all(counts)


MY_DDL = [
    "CREATE TABLE by_range (id int, year int, note varchar(20)) PARTITION BY RANGE (year) ("
    "PARTITION p_old VALUES LESS THAN (2022), PARTITION p_2022 VALUES LESS THAN (2023), "
    "PARTITION p_max VALUES LESS THAN MAXVALUE)",
    "CREATE TABLE by_list (id int, code int, note varchar(20)) PARTITION BY LIST (code) ("
    "PARTITION p_low VALUES IN (0, 1, 2), PARTITION p_high VALUES IN (3, 4, NULL))",
    "CREATE TABLE by_hash (id int, note varchar(20)) PARTITION BY HASH (id) PARTITIONS 4",
    "CREATE TABLE by_cols (id int, d date) PARTITION BY RANGE COLUMNS (d) ("
    "PARTITION p1 VALUES LESS THAN ('2021-01-01'), PARTITION p2 VALUES LESS THAN (MAXVALUE))",
]


def test_mariadb_range_list_hash_partitions(pg_db, my_db, spark, tmp_path):
    rows = [(i, None if i % 10 == 0 else 2020 + i % 5, f"n{i}") for i in range(-50, 1500)]
    with my_connect(my_db) as conn, conn.cursor() as cur:
        for sql in MY_DDL:
            cur.execute(sql)
        cur.executemany("INSERT INTO by_range VALUES (%s, %s, %s)", rows)
        cur.executemany("INSERT INTO by_list VALUES (%s, %s, %s)",
                        [(i, None if i % 7 == 0 else i % 5, f"n{i}") for i in range(1500)])
        cur.executemany("INSERT INTO by_hash VALUES (%s, %s)", [(i, f"n{i}") for i in
                                                                  range(-300, 1200)])
        cur.executemany("INSERT INTO by_cols VALUES (%s, %s)",
                        [(i, None if i % 9 == 0 else f"20{18 + i % 6}-06-01") for i in range(900)])
        conn.commit()
    db = my_db["database"]
    rules = [{"rule-type": "selection", "rule-id": "1", "rule-name": "all",
              "rule-action": "include", "object-locator": {"schema-name": db, "table-name": "%"}},
             table_settings("2", db, "by_range", {"type": "partitions-auto"}),
             table_settings("3", db, "by_list", {"type": "partitions-list",
                                                 "partitions": ["p_high"]}),
             table_settings("4", db, "by_hash", {"type": "partitions-auto"}),
             table_settings("5", db, "by_cols", {"type": "partitions-auto"})]
    task = write_task(tmp_path, my_db, pg_db, rules)
    assert sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")]) == 0
    stats = stats_of(tmp_path / "r.json")
    assert {name: (s["PartitionMethod"], s["Partitions"]) for name, s in stats.items()} == {
        "by_range": ("partitions", 3), "by_list": ("partitions-list", 2),
        "by_hash": ("partitions", 5),  # four buckets and a segment for anything they miss
        "by_cols": ("partitions", 2)}
    for name, cols in (("by_range", "id, year, note"), ("by_list", "id, code, note"),
                       ("by_hash", "id, note"), ("by_cols", "id, d")):
        with my_connect(my_db) as conn:
            source = fetch(conn, f"SELECT {cols} FROM {name}")
        with pg_connect(pg_db) as conn:
            target = fetch(conn, f"SELECT {cols} FROM public.{name}")
        assert source and stats[name]["FullLoadRows"] == len(source)
        assert_same_rows(normalise(source), normalise(target))
