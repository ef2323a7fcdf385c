"""A fake engine, written as an outside contributor would write one: this package and a
registration, no change anywhere else.

Tables live as Parquet segments in a directory (``store.py``), so Spark executors in
local mode read them by path. It is a source and a target, with partitions of its own kind
(groups of segment files) and an ``unpushable`` that refuses ``between``/``notbetween``
so the core's Spark-side filtering runs. A separate distribution would list ``ENGINE`` in
its entry points (``[project.entry-points."sparkdms.engines"] fake =
"tests.fake_engine:ENGINE"``); tests register it at run time with
``sparkdms.registry.register(ENGINE)``.
"""

from sparkdms.connectors.base import EngineSpec

from sparkdms.task.settings import Setting

ENGINE = EngineSpec(
    name="fake",
    aliases=("fake-engine",),
    connector="tests.fake_engine.connector:FakeConnector",
    dialect="tests.fake_engine.types:FAKE",
    # an engine's own setting: segment files per partition (0 = by Sparkdms.RowsPerPartition)
    settings={"Sparkdms.FakeFilesPerPartition": Setting(int, 0, minimum=0)},
    summary="test engine: Parquet segments in a directory",
)
