"""The contract suite against the fake engine of ``tests/fake_engine`` (registered from its
own files only), and proof that the contract's checks fail for engines that break it."""

from __future__ import annotations

from typing import Any

import pytest
from sparkdms.connectors.contract import data
from sparkdms.connectors.contract.suite import SourceContract, TargetContract, load_source

from sparkdms import registry
from sparkdms.errors import TaskConfigError
from sparkdms.plan import Partitioning
from tests.fake_engine import ENGINE
from tests.fake_engine.connector import FakeConnector, FakeSegments
from tests.fake_engine.harness import FakeHarness


@pytest.fixture(scope="module", autouse=True)
def fake_engine():
    registry.register(ENGINE)
    yield
    registry.unregister(ENGINE.name)


class TestFakeSource(SourceContract):
    @pytest.fixture
    def harness(self, spark, tmp_path):
        return FakeHarness(spark, tmp_path)


class TestFakeTarget(TargetContract):
    @pytest.fixture
    def harness(self, spark, tmp_path):
        return FakeHarness(spark, tmp_path)


# -- the fake engine's own behaviour -----------------------------------------------------------

def test_registered_from_its_own_files_only():
    assert registry.canonical_engine("fake-engine") == "fake"
    assert registry.connector_class("fake") is FakeConnector
    assert "Sparkdms.FakeFilesPerPartition" in registry.engine_settings(["fake"])
    registry.unregister("fake")
    try:
        with pytest.raises(TaskConfigError, match="unknown engine 'fake'"):
            registry.canonical_engine("fake")
    finally:
        registry.register(ENGINE)


def test_partitions_are_segment_groups_and_follow_its_setting(spark, tmp_path):
    h = FakeHarness(spark, tmp_path)
    loaded = load_source(h, spark)
    plan = data_plan(loaded)
    default = loaded.source.partitions(plan, cfg({"Sparkdms": {"RowsPerPartition": 10}}))
    assert default.method == "segments" and len(default.parts) == 4  # 8 segments of 5 rows
    assert all(isinstance(p, FakeSegments) and len(p.files) == 2 for p in default.parts)
    per_file = loaded.source.partitions(plan, cfg({"Sparkdms": {"FakeFilesPerPartition": 1}}))
    assert len(per_file.parts) == 8
    assert per_file.described[0].startswith("1 segment(s) seg-00000.parquet")


def test_refuses_between_so_the_core_filters(spark, tmp_path):
    loaded = load_source(FakeHarness(spark, tmp_path), spark)
    between, lte = data.f("id", ("between", "5", "12")), data.f("id", ("lte", "3"))
    assert loaded.source.unpushable(data_plan(loaded), (between, lte)) == (between,)


# -- the contract fails engines that break it ---------------------------------------------------

class IgnoresPushedFilters(FakeConnector):
    def read(self, spark, plan, partitions, pushed):
        return super().read(spark, plan, partitions, ())


class ReadsAPartitionTwice(FakeConnector):
    def partitions(self, plan, settings):
        part = super().partitions(plan, settings)
        return Partitioning(part.method, None, (*part.parts, part.parts[0]))


class LosesDecimalDigits(FakeConnector):
    def read(self, spark, plan, partitions, pushed):
        result = super().read(spark, plan, partitions, pushed)
        from pyspark.sql import functions as F

        amount = F.col("amount")  # digits past the third decimal cut off
        frame = result.frame.withColumn("amount", (amount - amount % F.lit(0.001).cast("decimal(4,3)"))
                                        .cast(result.frame.schema["amount"].dataType))
        return type(result)(frame, result.stats)


class HidesNothing(FakeConnector):
    internal_prefixes = ()


class WritesStraightIntoTheTable(FakeConnector):
    def write(self, df, plan, settings, load_id):
        result = super().write(df, plan, settings, load_id)
        super().commit(plan, settings, load_id)
        super().prepare(plan, settings, load_id)
        return result


class AppendsEveryAttempt(FakeConnector):
    def write(self, df, plan, settings, load_id):
        import uuid

        result = super().write(df, plan, settings, load_id)
        stage = self.staging(plan, load_id)
        for path in stage.glob("part-*.parquet"):  # attempt-unique names: a retry adds rows
            path.rename(stage / f"part-{uuid.uuid4().hex}.parquet")
        return result


class AbortKeepsStaging(FakeConnector):
    def abort(self, plan, settings, load_id):
        return None


class ReadWithoutPushed(FakeConnector):
    def read(self, spark, plan, partitions):  # the core passes the pushed filters too
        return super().read(spark, plan, partitions, ())


class WrongHookTypes(FakeConnector):
    capabilities = FakeConnector.capabilities.__class__(transactional_staging=True,
                                                        validates_in_sql=True)

    def target_ddl(self, plan):
        return "CREATE TABLE x"  # a string, not a list of statements


PUSHABLE = next(c for c in data.FILTER_CASES if c.id == "ored-conditions")
BROKEN = {
    "ignores-pushed-filters": (IgnoresPushedFilters, SourceContract, "test_pushed_filters"),
    "reads-a-partition-twice": (ReadsAPartitionTwice, SourceContract,
                                "test_partitions_read_every_row_once"),
    "loses-decimal-digits": (LosesDecimalDigits, SourceContract, "test_read_rows_exactly"),
    "hides-nothing": (HidesNothing, SourceContract, "test_discover_hides_internal_tables"),
    "writes-straight-into-the-table": (WritesStraightIntoTheTable, TargetContract,
                                       "test_write_visible_only_after_commit"),
    "appends-every-attempt": (AppendsEveryAttempt, TargetContract,
                              "test_retried_partitions_add_nothing"),
    "abort-keeps-staging": (AbortKeepsStaging, TargetContract,
                            "test_abort_leaves_target_untouched"),
    "wrong-hook-types": (WrongHookTypes, TargetContract, "test_target_hooks_declared"),
    "read-without-pushed": (ReadWithoutPushed, SourceContract, "test_source_hooks_declared"),
}


@pytest.mark.parametrize("flaw", list(BROKEN))
def test_contract_catches_a_broken_engine(flaw, spark, tmp_path, monkeypatch):
    cls, suite, test = BROKEN[flaw]
    monkeypatch.setattr(registry, "connector_class", lambda engine: cls)
    h = FakeHarness(spark, tmp_path)
    args: dict[str, Any] = {"harness": h, "spark": spark}
    method = getattr(suite(), test)
    if suite is SourceContract:
        args["loaded"] = load_source(h, spark)
    params = {"test_pushed_filters": {"case": PUSHABLE},
              "test_read_rows_exactly": {"names": ()},
              "test_write_visible_only_after_commit": {"existing": True},
              "test_retried_partitions_add_nothing": {"mode": "DO_NOTHING"},
              "test_abort_leaves_target_untouched": {"stage": "written"}}.get(test, {})
    wanted = method.__code__.co_varnames[1:method.__code__.co_argcount]
    call = {k: v for k, v in {**args, **params}.items() if k in wanted}
    with pytest.raises(AssertionError):
        method(**call)
    # the same check passes for the fake engine itself
    monkeypatch.undo()
    h = FakeHarness(spark, tmp_path / "good")
    if suite is SourceContract:
        call["loaded"] = load_source(h, spark)
    call["harness"] = h
    method(**call)


# -- helpers --------------------------------------------------------------------------------------

def cfg(doc: dict) -> Any:
    from sparkdms.connectors.contract.harness import settings

    return settings(["fake"], doc)


def data_plan(loaded: Any) -> Any:
    from sparkdms.connectors.contract.harness import source_plan

    return source_plan(loaded.table)
