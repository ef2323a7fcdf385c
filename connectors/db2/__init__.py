"""IBM Db2: type tables and identifier rules (conversion, assessment, `sparkdms convert`);
no connector yet."""

from sparkdms.connectors.base import EngineSpec

ENGINE = EngineSpec(
    name="db2",
    dialect="sparkdms.connectors.db2.types:DB2",
    summary="type tables only",
)
