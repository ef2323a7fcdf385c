"""The example tasks in conf/examples run as the README says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparkdms.cli import main as sparkdms
from sparkdms.demo import seed_postgres
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import fetch

EXAMPLES = Path(__file__).resolve().parents[2] / "conf" / "examples"
TABLES = ("customers", "order_items", "orders", "products")


@pytest.fixture
def passwords(monkeypatch):
    monkeypatch.setenv("SPARKDMS_PG_PASSWORD", "sparkdms_pw")
    monkeypatch.setenv("SPARKDMS_MY_PASSWORD", "sparkdms_pw")


def counts_pg(schema: str) -> dict[str, int]:
    ep = {"host": "127.0.0.1", "port": 5432, "user": "sparkdms", "password": "sparkdms_pw",
          "database": "sparkdms"}
    with pg_connect(ep) as conn:
        return {t: fetch(conn, f'SELECT count(*) FROM "{schema}"."{t}"')[0][0] for t in TABLES}


def test_postgres_mariadb_round_trip_examples(passwords, spark, tmp_path):
    assert seed_postgres(tmp_path) == 0
    source = counts_pg("shop")
    assert sparkdms(["run", str(EXAMPLES / "postgres-to-mariadb.yaml"), "--report",
                     str(tmp_path / "a.json")]) == 0
    ep = {"host": "127.0.0.1", "port": 3306, "user": "sparkdms", "password": "sparkdms_pw",
          "database": "shop"}
    with my_connect(ep) as conn:
        maria = {t: fetch(conn, f"SELECT count(*) FROM `{t}`")[0][0] for t in TABLES}
    assert maria == source
    report = json.loads((tmp_path / "a.json").read_text())
    assert {t["TableName"]: t["FullLoadRows"] for t in report["tables"]} == source
    assert sparkdms(["run", str(EXAMPLES / "mariadb-to-postgres.yaml")]) == 0
    assert counts_pg("shop_copy") == source
