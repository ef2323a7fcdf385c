"""EnableValidation with change data capture (sparkdms/cdc/revalidate.py): each run compares
the keys it changed, source against target; a difference the applier did not make (a
target trigger) is reported with its key, in the report and in
awsdms_validation_failures_v1, and fails the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task
from tests.integration.test_cdc_postgres import FAST, run_ok

SCHEMA = """
CREATE TABLE public.accounts (id bigint PRIMARY KEY, name text, amount numeric(12,2),
  seen timestamptz);
CREATE TABLE public.items (sku text, n int, note varchar(40), price numeric(8,3),
  PRIMARY KEY (sku, n));
INSERT INTO public.accounts SELECT g, 'acct ' || g || ' Zoë', g * 1.25,
  '2024-02-29 23:59:59.5+05:30'::timestamptz + g * interval '1 hour' FROM generate_series(1, 300) g;
INSERT INTO public.items SELECT 'sku-' || (g % 7) || '-李', g, 'item ' || g, g / 8.0
  FROM generate_series(1, 200) g;
"""
TABLES = ("accounts", "items")
CHANGES = """
INSERT INTO accounts VALUES (1001, 'new ✓', 10.01, now());
UPDATE accounts SET name = name || ' upd', amount = NULL WHERE id IN (2, 3);
DELETE FROM accounts WHERE id = 4;
UPDATE accounts SET id = 2000 WHERE id = 5;
INSERT INTO items VALUES ('sku-new ''q''', 1, NULL, 0.125);
UPDATE items SET note = 'changed' WHERE sku = 'sku-1-李' AND n = 1;
DELETE FROM items WHERE sku = 'sku-2-李' AND n = 2;
"""
TAMPER = """
CREATE FUNCTION public.tamper() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN RETURN NULL; END IF;  -- the target keeps the row
  NEW.name := NEW.name || ' (tampered)';
  RETURN NEW;
END $$;
CREATE TRIGGER tamper_upd BEFORE UPDATE ON public.accounts FOR EACH ROW
  WHEN (NEW.id = 7) EXECUTE FUNCTION public.tamper();
CREATE TRIGGER tamper_del BEFORE DELETE ON public.accounts FOR EACH ROW
  WHEN (OLD.id = 8) EXECUTE FUNCTION public.tamper();
"""


def rows(endpoint: dict, table: str) -> Any:
    with pg_connect(endpoint) as conn:
        return normalise(fetch(conn, f'SELECT * FROM public."{table}"'))


def tables(report: dict) -> dict[str, dict]:
    return {t["TableName"]: t for t in report["tables"]}


def test_changed_keys_are_revalidated_and_a_difference_is_reported_with_its_key(
        tmp_path: Path, src: dict, dst: dict, every_driver: Any) -> None:
    settings = {**FAST, "ValidationSettings": {"EnableValidation": True}}
    task = write_task(tmp_path, src, dst, [selection("public")], settings=settings,
                      migration_type="full-load-and-cdc", name="cdc_val")
    first = run_ok(task, tmp_path / "r1.json")
    assert all(t["ValidationState"] == "Validated" for t in first["tables"]), first["tables"]
    with pg_connect(src, autocommit=True) as conn:
        conn.execute(CHANGES)
    second = tables(run_ok(task, tmp_path / "r2.json"))
    # accounts: 1001, 2, 3, 4 (deleted), 5 (old key, deleted) and 2000; items: three keys
    assert second["accounts"]["CdcValidatedKeys"] == 6, second["accounts"]
    assert second["items"]["CdcValidatedKeys"] == 3, second["items"]
    for name in TABLES:
        assert second[name]["CdcValidationFailures"] == 0, second[name]
        assert second[name]["CdcValidationState"] == "Validated", second[name]
        assert_same_rows(rows(src, name), rows(dst, name))

    with pg_connect(dst, autocommit=True) as conn:  # the target alters what the applier writes
        conn.execute(TAMPER)
    with pg_connect(src, autocommit=True) as conn:
        conn.execute("UPDATE accounts SET amount = 77.77 WHERE id IN (6, 7)")
        conn.execute("DELETE FROM accounts WHERE id = 8")
    report_path = tmp_path / "r3.json"
    code = sparkdms(["run", str(task), "--report", str(report_path)])
    third = tables(json.loads(report_path.read_text()))
    assert code == 1, third["accounts"]  # validation failed: the run fails as full validation
    acc = third["accounts"]
    assert acc["CdcValidatedKeys"] == 3 and acc["CdcValidationFailures"] == 2, acc
    assert acc["ValidationState"] == "Mismatched records", acc
    shown = {(f["FAILURE_TYPE"], json.dumps(f["KEY"])) for f in acc["CdcValidationFailedKeys"]}
    assert shown == {("RECORD_DIFF", '{"id": "7"}'), ("MISSING_SOURCE", '{"id": "8"}')}, shown
    diff = next(f for f in acc["CdcValidationFailedKeys"] if f["FAILURE_TYPE"] == "RECORD_DIFF")
    assert set(diff["DETAILS"]) == {"name"}, diff
    with pg_connect(dst) as conn:
        stored = fetch(conn, 'SELECT "FAILURE_TYPE", "KEY", "DETAILS" FROM public.'
                             'awsdms_validation_failures_v1 WHERE "TASK_NAME" = %s '
                             'AND "TABLE_NAME" = %s', ("cdc_val", "accounts"))
    assert {(k, json.loads(key)["id"]) for k, key, _ in stored} == {
        ("RECORD_DIFF", "7"), ("MISSING_SOURCE", "8")}, stored
    assert "CdcValidatedKeys" not in third["items"]  # no change to it in this run
