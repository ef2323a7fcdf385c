"""The table-mapping examples in conf/examples/mappings parse, and plan against the demo
shop's real catalog (discovered from its SQLite database, no server needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sparkdms.connectors.sqlite.connector import SQLiteConnector

from sparkdms.demo import build_shop
from sparkdms.plan.build import build_plan
from sparkdms.plan.mapping import parse_rules
from sparkdms.plan.text import render_plan
from sparkdms.task import Endpoint
from tests.unit.test_mapping_support import MY_DST, task

MAPPINGS = sorted((Path(__file__).resolve().parents[2] / "conf" / "examples" / "mappings")
                  .glob("*.json"))


@pytest.mark.parametrize("path", MAPPINGS, ids=lambda p: p.name)
def test_example_mappings_parse(path: Path) -> None:
    assert parse_rules(json.loads(path.read_text()))


def test_shop_transformations_plan_against_the_demo_shop(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    build_shop(db, customers=50, orders=200)
    source = SQLiteConnector(Endpoint(role="source", engine="sqlite", path=str(db)))
    doc = json.loads((MAPPINGS[0].parent / "shop-transformations.json").read_text()
                     .replace('"schema-name": "shop"', '"schema-name": "main"'))
    t = task(doc["rules"], source=source, target=MY_DST)
    catalog = source.discover(lambda s, n, k: True)
    plan = build_plan(t, catalog, source, MY_DST, with_partitions=False)
    by_name = {tp.source.name: tp for tp in plan.tables}
    assert {tp.target_label for tp in plan.tables} == {
        "shop_dw.dw_customers", "shop_dw.dw_orders", "shop_dw.dw_order_items",
        "shop_dw.dw_products"}
    assert plan.tables[0].source.name == "orders"  # load-order 2
    orders = by_name["orders"]
    # 3 boundaries: 4 segments, and one for NULL ids (SQLite declares the key nullable)
    assert orders.partitioning.count == 5 and len(orders.filters) == 2
    assert [c.target_name for c in orders.columns][-2:] == ["order_month", "size_band"]
    assert "photo" not in [c.source_name for c in by_name["products"].columns]
    assert by_name["products"].lob_limit.columns == ("title",)
    assert by_name["customers"].column("country_code").source_name == "country"
    assert by_name["order_items"].column("qty").target_type == "bigint"
    # the filtered orders leave order_items rows without a parent: said, not hidden
    assert [w.split(':')[0] for w in plan.warnings] == [
        "1 foreign key(s) can be broken by source filters or the selection"]
    assert any(w.startswith("foreign key") and "main.orders" in w
               for w in by_name["order_items"].warnings)
    text = render_plan(plan, MY_DST)
    assert "filters (pushed down to the source, ANDed)" in text and "LOB limit: 64 KB" in text
