"""A whole task through the CLI from the fake engine of ``tests/fake_engine`` (registered
at run time, from its own files) into real targets, and back: selection filters it cannot
push are applied by the core, its segment partitions drive the read, the report counts
the rows."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from sparkdms.connectors.contract import data
from sparkdms.connectors.contract.data import TABLE

from sparkdms import registry
from sparkdms.cli import main
from tests.fake_engine import ENGINE
from tests.fake_engine.harness import FakeHarness
from tests.integration.harnesses import LakeHarness, SQLiteHarness

FILTERS = [  # between: refused by the fake engine, applied in Spark; notnull: pushed
    {"filter-type": "source", "column-name": "id",
     "filter-conditions": [{"filter-operator": "between", "start-value": "5", "end-value": "30"}]},
    {"filter-type": "source", "column-name": "name",
     "filter-conditions": [{"filter-operator": "notnull"}]},
]


@pytest.fixture(autouse=True)
def fake_engine():
    registry.register(ENGINE)
    yield
    registry.unregister(ENGINE.name)


class NarrowFake(FakeHarness):
    decimal = SQLiteHarness.decimal  # what the SQLite target keeps exactly


def write_task(folder: Any, source: dict, target: dict, schema: str, filters: list) -> str:
    rule = {"rule-type": "selection", "rule-id": "1", "rule-name": "1",
            "object-locator": {"schema-name": schema, "table-name": TABLE},
            "rule-action": "include", "filters": filters}
    doc = {"name": "fake-task", "source": source, "target": target,
           "table_mappings": {"rules": [rule]},
           "settings": {"Sparkdms": {"RowsPerPartition": 10}}}
    path = folder / "task.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return str(path)


def run(task: str, report_path: Any) -> dict:
    assert main(["run", task, "--report", str(report_path)]) == 0
    return json.loads(report_path.read_text())["tables"][0]


@pytest.mark.parametrize("target", ["sqlite", "parquet"])
def test_fake_source_to_a_real_target(target, spark, tmp_path):
    fake = (NarrowFake if target == "sqlite" else FakeHarness)(spark, tmp_path / "fake")
    cols, rows = fake.columns(), fake.rows()
    fake.create_table("source", TABLE, cols, rows)
    dest = SQLiteHarness(spark, tmp_path) if target == "sqlite" else \
        LakeHarness(spark, "parquet", tmp_path)
    task = write_task(tmp_path, fake.endpoint("source"), dest.endpoint("target"), "data", FILTERS)
    stats = run(task, tmp_path / "report.json")
    filters = (data.f("id", ("between", "5", "30")), data.f("name", ("notnull",)))
    expected = [r for r in rows if data.keep(cols, r, filters)]
    assert stats["TableState"] == "Table completed", stats
    assert stats["FullLoadRows"] == len(expected) > 0
    assert stats["PartitionMethod"] == "segments"
    assert stats["FakeSegmentsRead"] == 8
    data.assert_same_rows(data.canonical_rows(cols, expected),
                          data.canonical_rows(cols, dest.read_rows(TABLE, cols)),
                          f"fake -> {target}")


def test_sqlite_source_to_the_fake_target(spark, tmp_path):
    src = SQLiteHarness(spark, tmp_path)
    cols, rows = src.columns(), src.rows()
    src.create_table("source", TABLE, cols, rows)
    fake = FakeHarness(spark, tmp_path / "fake")
    task = write_task(tmp_path, src.endpoint("source"), fake.endpoint("target"), "main", [])
    stats = run(task, tmp_path / "report.json")
    assert stats["FullLoadRows"] == len(rows) and stats["TargetSchema"] == "data", stats
    data.assert_same_rows(data.canonical_rows(cols, rows),
                          data.canonical_rows(cols, fake.read_rows(TABLE, cols)),
                          "sqlite -> fake")
