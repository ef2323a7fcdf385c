"""The contract as pytest classes: an engine's test module subclasses them and supplies a
``harness`` fixture (an :class:`EngineHarness`) and a ``spark`` fixture (a session with the
engine's JVM packages)::

    from sparkdms.connectors.contract.suite import SourceContract, TargetContract

    @pytest.fixture
    def harness(spark, tmp_path):
        return MyHarness(spark, tmp_path)

    class TestMyEngineSource(SourceContract):
        pass

    class TestMyEngineTarget(TargetContract):
        pass

A harness fixture may be parametrized to run the same classes over several engines.
``SourceContract``: discover, partitions, read, pushed and unpushable filters, source
hooks. ``TargetContract``: prepare -> write -> commit, abort, idempotent retry of a
partition, target hooks.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sparkdms.connectors.base import (
    Capabilities,
    ReadResult,
    Sampler,
    Source,
    Target,
    WriteResult,
)
from sparkdms.connectors.contract import data
from sparkdms.connectors.contract.data import (
    FILTER_CASES,
    PAIR_COLUMNS,
    PAIR_KEY,
    PAIR_ROWS,
    PAIRS,
    TABLE,
    ContractColumn,
    FilterCase,
)
from sparkdms.connectors.contract.harness import (
    EngineHarness,
    check_hooks,
    dataframe,
    describe_partitioning,
    frame_rows,
    partition_ids,
    settings,
    source_plan,
    target_plan,
)

from sparkdms.catalog import Catalog, Table
from sparkdms.plan import Partition, Partitioning, PartitionRequest
from sparkdms.types import spark_type


class _Contract:
    @pytest.fixture(autouse=True)
    def _known_failures(self, request: Any, harness: EngineHarness) -> None:
        params = getattr(getattr(request.node, "callspec", None), "params", {})
        reason = harness.expected_failure(request.node.originalname, params)
        if reason:
            request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


@dataclass
class Loaded:
    """The contract table created on a source and discovered through the connector."""

    source: Source
    catalog: Catalog
    table: Table
    columns: tuple[ContractColumn, ...]
    rows: list[tuple]

    def expected(self, names: Sequence[str] = (), filters: Sequence[Any] = ()) -> Counter:
        cols = data.only(self.columns, names) if names else self.columns
        kept = [r for r in self.rows if data.keep(self.columns, r, filters)]
        return data.canonical_rows(cols, data.project(self.columns, kept, [c.name for c in cols]))


def _only(schema: str, *names: str) -> Any:
    return lambda s, t, k: s == schema and t in names


def load_source(harness: EngineHarness, spark: Any) -> Loaded:
    """Create the contract table on the harness's source and discover it."""
    cols, rows = harness.columns(), harness.rows()
    harness.create_table("source", TABLE, cols, rows)
    source = harness.connector("source")
    source.bind(spark)
    schema = harness.schema("source")
    catalog = source.discover(_only(schema, TABLE), Sampler(spark=lambda: spark))
    assert isinstance(catalog, Catalog), f"discover returned {type(catalog).__name__}"
    found = [t for t in catalog.tables if (t.schema, t.name) == (schema, TABLE)]
    assert len(found) == 1, (f"discover found {len(found)} tables {schema}.{TABLE}; "
                             f"catalog: {[t.qualified for t in catalog.tables]}")
    return Loaded(source, catalog, found[0], cols, rows)


class SourceContract(_Contract):
    """Every source engine passes these (see the module docstring)."""

    @pytest.fixture
    def loaded(self, harness: EngineHarness, spark: Any) -> Loaded:
        return load_source(harness, spark)

    def _settings(self, harness: EngineHarness, **sparkdms: int) -> Any:
        return settings([harness.engine], {"Sparkdms": {"RowsPerPartition": 10, **sparkdms}})

    # -- discover -------------------------------------------------------------------------------
    def test_discover_catalog_shape(self, loaded: Loaded, harness: EngineHarness) -> None:
        catalog, table = loaded.catalog, loaded.table
        assert catalog.engine == harness.engine
        assert table.kind == "table"
        assert [c.name for c in table.columns] == [c.name for c in loaded.columns]
        ordinals = [c.ordinal for c in table.columns]
        assert ordinals == sorted(ordinals) and len(set(ordinals)) == len(ordinals), ordinals
        assert all(isinstance(c.native_type, str) and c.native_type for c in table.columns)
        assert {c.name: c.nullable for c in table.columns} == \
            {c.name: c.nullable for c in loaded.columns}
        assert table.row_estimate >= 0
        assert pickle.loads(pickle.dumps(catalog)) == catalog, "the catalog must be picklable"

    def test_discover_types(self, loaded: Loaded) -> None:
        problems = []
        for want, col in zip(loaded.columns, loaded.table.columns, strict=True):
            if col.ltype.kind not in want.accepted:
                problems.append(f"{col.name} {col.native_type}: logical {col.ltype}, expected "
                                f"one of {want.accepted}")
            if want.ltype.kind == "decimal" and col.ltype.kind == "decimal" and \
                    (col.ltype.precision, col.ltype.scale) != (want.ltype.precision,
                                                               want.ltype.scale):
                problems.append(f"{col.name}: {col.ltype}, created as {want.ltype}")
            if want.ltype.kind == "timestamp" and (col.ltype.precision or 6) < 6:
                problems.append(f"{col.name}: {col.ltype} drops microseconds")
            again = loaded.source.to_logical(col.native_type)
            if again.kind != col.ltype.kind:
                problems.append(f"{col.name}: to_logical({col.native_type!r}) is {again}, "
                                f"discovery said {col.ltype}")
        assert not problems, "\n".join(problems)

    def test_discover_keys(self, loaded: Loaded, harness: EngineHarness, spark: Any) -> None:
        harness.create_table("source", PAIRS, PAIR_COLUMNS, PAIR_ROWS, PAIR_KEY)
        schema = harness.schema("source")
        catalog = loaded.source.discover(_only(schema, TABLE, PAIRS), Sampler(spark=lambda: spark))
        keys = {t.name: t.primary_key for t in catalog.tables if t.schema == schema}
        assert keys == {TABLE: ("id",), PAIRS: PAIR_KEY}, keys

    def test_discover_respects_wanted(self, loaded: Loaded, harness: EngineHarness,
                                      spark: Any) -> None:
        harness.create_table("source", PAIRS, PAIR_COLUMNS, PAIR_ROWS, PAIR_KEY)
        schema = harness.schema("source")
        asked: list[tuple[str, str, str]] = []

        def wanted(s: str, t: str, k: str) -> bool:
            asked.append((s, t, k))
            return s == schema and t == PAIRS

        catalog = loaded.source.discover(wanted, Sampler(spark=lambda: spark))
        assert [(t.schema, t.name) for t in catalog.tables] == [(schema, PAIRS)]
        assert all(isinstance(k, str) for _, _, k in asked)
        nothing = loaded.source.discover(lambda s, t, k: False, Sampler(spark=lambda: spark))
        assert nothing.tables == ()

    def test_discover_hides_internal_tables(self, loaded: Loaded, harness: EngineHarness,
                                            spark: Any) -> None:
        for name in harness.internal_names:
            harness.create_table("source", name, PAIR_COLUMNS, PAIR_ROWS, PAIR_KEY)
        schema = harness.schema("source")
        catalog = loaded.source.discover(lambda s, t, k: s == schema, Sampler(spark=lambda: spark))
        names = {t.name for t in catalog.tables if t.schema == schema}
        assert TABLE in names
        assert not names & set(harness.internal_names), names

    # -- partitions -----------------------------------------------------------------------------
    def test_partitions_are_opaque_and_described(self, loaded: Loaded,
                                                 harness: EngineHarness) -> None:
        plan = source_plan(loaded.table)
        part = loaded.source.partitions(plan, self._settings(harness))
        assert isinstance(part, Partitioning)
        assert part.count == max(1, len(part.parts))
        for p in part.parts:
            assert isinstance(p, Partition), f"{p!r} is not a sparkdms.plan.Partition"
            assert isinstance(p.describe(), str)
            assert pickle.loads(pickle.dumps(p)) == p, f"{p!r} does not survive pickling"
        if harness.splits:
            assert part.count > 1, f"40 rows, RowsPerPartition 10: {describe_partitioning(part)}"
        capped = loaded.source.partitions(plan, self._settings(harness, MaxPartitionsPerTable=2))
        assert 1 <= capped.count <= 2, f"MaxPartitionsPerTable 2: {describe_partitioning(capped)}"

    def test_partitions_read_every_row_once(self, loaded: Loaded, harness: EngineHarness,
                                            spark: Any) -> None:
        plan = source_plan(loaded.table)
        part = loaded.source.partitions(plan, self._settings(harness))
        ids = partition_ids(loaded.source, spark, replace(plan, partitioning=part), part.parts)
        twice = sorted(i for i, n in Counter(ids).items() if n > 1)
        assert not twice, f"rows read by more than one partition: {twice[:10]}"
        assert sorted(ids) == [r[0] for r in loaded.rows], describe_partitioning(part)

    @pytest.mark.parametrize("request_", [
        PartitionRequest("none"),
        PartitionRequest("ranges", ("id",), (("10",), ("25",))),
    ], ids=["none", "ranges"])
    def test_parallel_load_request(self, loaded: Loaded, harness: EngineHarness, spark: Any,
                                   request_: PartitionRequest) -> None:
        plan = source_plan(loaded.table, parallel_load=request_)
        part = loaded.source.partitions(plan, self._settings(harness))
        if request_.type == "none":
            assert part.count == 1, describe_partitioning(part)
        elif not part.notes:  # followed: the two boundaries give three segments
            assert part.count == 3, describe_partitioning(part)
        ids = partition_ids(loaded.source, spark, replace(plan, partitioning=part), part.parts)
        assert sorted(ids) == [r[0] for r in loaded.rows], describe_partitioning(part)

    # -- read -----------------------------------------------------------------------------------
    @pytest.mark.parametrize("names", [(), ("id", "name", "raw")], ids=["all", "some"])
    def test_read_rows_exactly(self, loaded: Loaded, harness: EngineHarness, spark: Any,
                               names: tuple[str, ...]) -> None:
        plan = source_plan(loaded.table, names)
        part = loaded.source.partitions(plan, self._settings(harness))
        result = loaded.source.read(spark, replace(plan, partitioning=part), part.parts, ())
        assert isinstance(result, ReadResult)
        assert isinstance(result.stats, Mapping)
        wanted = [c for c in loaded.table.columns if c.name in plan.source_names]
        got = {f.name: f.dataType for f in result.frame.schema.fields}
        assert got == {c.name: spark_type(c.ltype) for c in wanted}, \
            "the read returns the planned columns in their logical Spark types"
        cols = data.only(loaded.columns, [c.name for c in wanted])
        actual = data.canonical_rows(cols, frame_rows(result.frame, [c.name for c in cols]))
        data.assert_same_rows(loaded.expected([c.name for c in cols]), actual,
                              f"{harness.engine} read")

    @pytest.mark.parametrize("case", FILTER_CASES, ids=[c.id for c in FILTER_CASES])
    def test_pushed_filters(self, loaded: Loaded, harness: EngineHarness, spark: Any,
                            case: FilterCase) -> None:
        """What the engine says it pushes, it applies; what it cannot push, the core
        applies in Spark; either way the rows are those SQL's WHERE would keep."""
        from sparkdms.load.read import read_table

        plan = source_plan(loaded.table, case.columns, case.filters)
        part = loaded.source.partitions(plan, self._settings(harness))
        plan = replace(plan, partitioning=part)
        refused = loaded.source.unpushable(plan, plan.filters)
        assert isinstance(refused, tuple) and all(f in plan.filters for f in refused), refused
        pushed = tuple(f for f in plan.filters if f not in refused)
        names = sorted(plan.source_names, key=[c.name for c in loaded.columns].index)
        cols = data.only(loaded.columns, names)
        at_source = loaded.source.read(spark, plan, part.parts, pushed).frame
        data.assert_same_rows(loaded.expected(names, pushed),
                              data.canonical_rows(cols, frame_rows(at_source, names)),
                              f"read with pushed {[f.describe() for f in pushed]}")
        loaded_frame = read_table(spark, loaded.source, plan).frame
        data.assert_same_rows(loaded.expected(names, plan.filters),
                              data.canonical_rows(cols, frame_rows(loaded_frame, names)),
                              f"read_table with {[f.describe() for f in plan.filters]} "
                              f"(refused: {[f.describe() for f in refused]})")

    # -- hooks ----------------------------------------------------------------------------------
    def test_source_hooks_declared(self, loaded: Loaded, harness: EngineHarness) -> None:
        """Every method Source declares has the declared parameters; the optional hooks
        (validation, assessment, ...) return their declared types."""
        source = loaded.source
        plan = source_plan(loaded.table)
        problems, called = check_hooks(source, Source, {
            "plan": plan, "plans": [plan], "settings": self._settings(harness),
            "schema": harness.schema("source")})
        assert "validation_sql" in called and "assessment" in called, called
        try:
            count = source.count_rows(harness.schema("source"), TABLE)
        except NotImplementedError:
            count = None
        if count is not None and count != len(loaded.rows):
            problems.append(f"count_rows says {count}, the table has {len(loaded.rows)}")
        assert not problems, "\n".join(problems)


class TargetContract(_Contract):
    """Every target engine passes these (see the module docstring)."""

    def _target(self, harness: EngineHarness, spark: Any) -> Target:
        target = harness.connector("target")
        target.bind(spark)
        return target

    def _plan(self, harness: EngineHarness, target: Target, cols: Sequence[ContractColumn]) -> Any:
        return target_plan(target, harness.schema("target"), TABLE, cols)

    def _settings(self, harness: EngineHarness, mode: str = "DROP_AND_CREATE") -> Any:
        return settings([harness.engine],
                        {"FullLoadSettings": {"TargetTablePrepMode": mode}})

    def _rows(self, harness: EngineHarness, cols: Sequence[ContractColumn]) -> Counter | None:
        found = harness.read_rows(TABLE, cols)
        return None if found is None else data.canonical_rows(cols, found)

    @pytest.mark.parametrize("existing", [True, False], ids=["replaces", "creates"])
    def test_write_visible_only_after_commit(self, harness: EngineHarness, spark: Any,
                                             existing: bool) -> None:
        cols, rows = harness.columns(), harness.rows()
        old = data.old_rows(cols)
        if existing:
            harness.create_table("target", TABLE, cols, old)
        target = self._target(harness, spark)
        plan, cfg = self._plan(harness, target, cols), self._settings(harness)
        target.prepare_task([plan], cfg)
        before = target.pre_load([plan], cfg)
        target.prepare(plan, cfg, "contractload1")
        result = target.write(dataframe(spark, cols, rows), plan, cfg, "contractload1")
        assert isinstance(result, WriteResult)
        assert result.rows == len(rows) and result.partitions >= 1, result
        seen = self._rows(harness, cols)
        if existing:
            data.assert_same_rows(data.canonical_rows(cols, old), seen or Counter(),
                                  "before commit the target shows its old rows")
        else:
            assert not seen, f"before commit the new table shows {sum(seen.values())} rows"
        target.commit(plan, cfg, "contractload1")
        data.assert_same_rows(data.canonical_rows(cols, rows), self._rows(harness, cols) or Counter(),
                              f"{harness.engine} after commit")
        notes = target.post_load([plan], cfg, before)
        assert isinstance(notes, list) and all(isinstance(n, str) for n in notes), notes
        try:
            count = target.count_rows(harness.schema("target"), TABLE)
        except NotImplementedError:
            count = None
        assert count in (None, len(rows)), f"count_rows says {count}"

    @pytest.mark.parametrize("stage", ["prepared", "written"])
    def test_abort_leaves_target_untouched(self, harness: EngineHarness, spark: Any,
                                           stage: str) -> None:
        cols, rows = harness.columns(), harness.rows()
        old = data.old_rows(cols)
        harness.create_table("target", TABLE, cols, old)
        target = self._target(harness, spark)
        plan, cfg = self._plan(harness, target, cols), self._settings(harness)
        target.prepare_task([plan], cfg)
        names = harness.table_names()
        target.prepare(plan, cfg, "contractload2")
        if stage == "written":
            target.write(dataframe(spark, cols, rows), plan, cfg, "contractload2")
        target.abort(plan, cfg, "contractload2")
        target.abort(plan, cfg, "contractload2")  # never raises, also with nothing left
        data.assert_same_rows(data.canonical_rows(cols, old), self._rows(harness, cols) or Counter(),
                              "after abort the target holds its old rows")
        assert harness.table_names() == names, \
            f"abort left {sorted(harness.table_names() - names)} behind"

    @pytest.mark.parametrize("mode", ["DROP_AND_CREATE", "DO_NOTHING"])
    def test_retried_partitions_add_nothing(self, harness: EngineHarness, spark: Any,
                                            mode: str) -> None:
        """A Spark task retried (or run speculatively) writes its partition again under the
        same load id: the committed table holds its rows once."""
        cols, rows = harness.columns(), harness.rows()
        old = data.old_rows(cols)
        harness.create_table("target", TABLE, cols, old)
        target = self._target(harness, spark)
        if not target.capabilities.transactional_staging:
            pytest.skip(f"{harness.engine} does not declare transactional_staging")
        plan, cfg = self._plan(harness, target, cols), self._settings(harness, mode)
        target.prepare_task([plan], cfg)
        target.prepare(plan, cfg, "contractload3")
        frame = dataframe(spark, cols, rows)
        target.write(frame, plan, cfg, "contractload3")
        target.write(frame, plan, cfg, "contractload3")  # every partition once more
        target.commit(plan, cfg, "contractload3")
        expected = rows if mode == "DROP_AND_CREATE" else [*old, *rows]
        data.assert_same_rows(data.canonical_rows(cols, expected),
                              self._rows(harness, cols) or Counter(),
                              f"{mode}: partitions written twice under one load id")

    def test_target_hooks_declared(self, harness: EngineHarness, spark: Any) -> None:
        """Every method Target declares has the declared parameters; the optional hooks
        (validation, failures, expectations, DDL, assessment, ...) return their declared
        types; a target that says it validates in SQL has the SQL to do it."""
        cols = harness.columns()
        target = self._target(harness, spark)
        plan, cfg = self._plan(harness, target, cols), self._settings(harness)
        assert isinstance(target.capabilities, Capabilities)
        problems, called = check_hooks(target, Target, {
            "plan": plan, "plans": [plan], "settings": cfg, "schema": harness.schema("target")})
        assert {"validation_sql", "assessment", "target_ddl"} <= set(called), called
        if target.capabilities.validates_in_sql and target.validation_sql() is None:
            problems.append("capabilities say validates_in_sql, but validation_sql() is None")
        assert not problems, "\n".join(problems)
