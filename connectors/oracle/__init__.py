"""Oracle: type tables and identifier rules (conversion, assessment, `sparkdms convert`);
no connector yet."""

from sparkdms.connectors.base import EngineSpec

ENGINE = EngineSpec(
    name="oracle",
    dialect="sparkdms.connectors.oracle.types:ORACLE",
    summary="type tables only",
)
