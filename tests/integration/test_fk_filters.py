"""Foreign keys under source filters (issue 9 item 7), PostgreSQL source -> PostgreSQL and
MariaDB: the plan and the assessment name the keys a filter can break; the load counts the
orphan rows on the target, creates the key NOT VALID on PostgreSQL and not at all on
MariaDB, and the report and the console say so with the count. A child filtered the same
way as its parent, and a child whose rows all keep their parent, get their keys checked."""

from __future__ import annotations

import json

import psycopg
import pytest

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task
from tests.integration.test_full_load import run_ok

SCHEMA = """
CREATE TABLE public.regions (code text PRIMARY KEY, name text);
INSERT INTO public.regions VALUES ('eu', 'Europe'), ('us', 'America');
CREATE TABLE public.customers (id int PRIMARY KEY, name text,
  region_code text REFERENCES public.regions);
INSERT INTO public.customers VALUES (1, 'Ann', 'eu'), (2, 'Bo', 'us'), (3, 'Cé', 'eu'),
  (4, 'Dan', 'us'), (5, 'Eve', NULL);
CREATE TABLE public.orders (id int PRIMARY KEY, customer_id int REFERENCES public.customers,
  note text);
INSERT INTO public.orders VALUES (10, 1, 'kept'), (11, 4, 'orphan'), (12, 5, 'orphan'),
  (13, 5, 'orphan'), (14, NULL, 'no customer'), (15, 2, 'kept');
CREATE TABLE public.payments (id int PRIMARY KEY, customer_id int REFERENCES public.customers,
  amount numeric(8,2));
INSERT INTO public.payments VALUES (20, 1, 9.99), (21, 3, 0.01), (22, 5, 100.00);
CREATE TABLE public.reviews (id int PRIMARY KEY, customer_id int REFERENCES public.customers,
  stars int);
INSERT INTO public.reviews VALUES (30, 1, 5), (31, 3, 4);
"""

BETWEEN = [{"filter-operator": "between", "start-value": "1", "end-value": "3"}]


def rules() -> list[dict]:
    def filtered(rule_id: str, table: str, column: str) -> dict:
        return {**selection("public", table, rule_id=rule_id), "filters": [
            {"filter-type": "source", "column-name": column, "filter-conditions": BETWEEN}]}

    return [selection("public"), selection("public", "regions", "exclude", "2"),
            filtered("3", "customers", "id"), filtered("4", "payments", "customer_id")]


def orphans_on_source(src: dict) -> int:
    """Orders whose customer the filter leaves out, computed on the source."""
    with pg_connect(src) as conn:
        return fetch(conn, "SELECT count(*) FROM public.orders WHERE customer_id IS NOT NULL "
                           "AND customer_id NOT BETWEEN 1 AND 3")[0][0]


def target_keys(target: dict) -> dict[str, bool]:
    """Foreign keys on the target: name -> checked (PostgreSQL convalidated; MariaDB: all)."""
    if target["engine"] == "postgres":
        with pg_connect(target) as conn:
            return dict(fetch(conn, "SELECT conname, convalidated FROM pg_constraint "
                                    "WHERE contype = 'f'"))
    with my_connect(target) as conn:
        return {name: True for (name,) in fetch(
            conn, "SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
                  "WHERE CONSTRAINT_SCHEMA = %s", (target["database"],))}


def target_rows(target: dict, table: str) -> list[tuple]:
    if target["engine"] == "postgres":
        with pg_connect(target) as conn:
            return fetch(conn, f"SELECT * FROM public.{table}")
    with my_connect(target) as conn:
        return fetch(conn, f"SELECT * FROM `{table}`")


def test_filtered_parent_keys(pg_db, target, spark, tmp_path, capsys):
    with pg_connect(pg_db) as conn:
        conn.execute(SCHEMA)
    expected = orphans_on_source(pg_db)
    assert expected == 3
    # one table at a time: concurrent first loads race on a shared CREATE TABLE IF NOT EXISTS
    # (pg_type_typname_nsp_index), reported to the coordinator, not the subject here
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE",
                                     "MaxFullLoadSubTasks": 1}}
    task = write_task(tmp_path, pg_db, target, rules(), settings)

    # plan: the keys at risk are named per child table, the one filtered alike is not
    assert sparkdms(["plan", str(task)]) == 0
    plan_out = capsys.readouterr().out
    risky = [line for line in plan_out.splitlines() if "warning: foreign key" in line]
    assert any("orders_customer_id_fkey" in x and "public.customers" in x for x in risky), plan_out
    assert any("reviews_customer_id_fkey" in x for x in risky)
    assert not any("payments_customer_id_fkey" in x for x in risky)
    assert any("customers_region_code_fkey" in x and "not selected" in x for x in risky)

    # assessment: a warning item on the child, naming the filter
    assert sparkdms(["assess", str(task), "--out", str(tmp_path / "a.json")]) == 0
    data = json.loads((tmp_path / "a.json").read_text())
    fk_items = {t["source"]: i for t in data["tables"] for i in t["items"]
                if i["category"] == "foreign-key"}
    assert set(fk_items) == {"public.orders", "public.reviews"}
    assert fk_items["public.orders"]["level"] == "warning"
    assert "id between '1' and '3'" in fk_items["public.orders"]["message"]
    not_loaded = [i for t in data["tables"] if t["source"] == "public.customers"
                  for i in t["items"] if "customers_region_code_fkey" in i["message"]]
    assert not_loaded and "did not load" in not_loaded[0]["message"]
    capsys.readouterr()

    # the run succeeds; the key with orphans is NOT VALID (PostgreSQL) or not created
    report = run_ok(task, tmp_path / "r.json")
    out = capsys.readouterr().out
    notes = [n for n in report["notes"] if "orders_customer_id_fkey" in n]
    assert len(notes) == 1 and f"{expected} row(s) of" in notes[0], report["notes"]
    keys = target_keys(target)
    if target["engine"] == "postgres":
        assert notes[0].startswith("created NOT VALID: foreign-key orders_customer_id_fkey")
        assert keys["orders_customer_id_fkey"] is False
        with pg_connect(target) as conn:  # unchecked for the old rows, enforced for new ones
            with pytest.raises(psycopg.errors.ForeignKeyViolation):
                conn.execute("INSERT INTO public.orders VALUES (99, 99, 'new orphan')")
    else:
        assert notes[0].startswith("not created: foreign-key orders_customer_id_fkey")
        assert "cannot create a key unchecked" in notes[0]
        assert "orders_customer_id_fkey" not in keys
    # filtered alike, or no orphan despite the filter: created and checked
    assert keys["payments_customer_id_fkey"] is True
    assert keys["reviews_customer_id_fkey"] is True
    assert not any("customers_region_code_fkey" in k for k in keys)

    # the console lists every object not created as on the source, with the reason
    section = out[out.index("Objects not created as on the source"):]
    assert "orders_customer_id_fkey" in section and f"{expected} row(s)" in section
    assert "customers_region_code_fkey" in section and "did not load" in section
    assert "payments_customer_id_fkey" not in section

    # the rows: every order arrives, orphans included; customers filtered
    with pg_connect(pg_db) as conn:
        src_orders = fetch(conn, "SELECT * FROM public.orders")
        src_customers = fetch(conn, "SELECT * FROM public.customers WHERE id BETWEEN 1 AND 3")
    assert_same_rows(normalise(src_orders), normalise(target_rows(target, "orders")))
    assert_same_rows(normalise(src_customers), normalise(target_rows(target, "customers")))
