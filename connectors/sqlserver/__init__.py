"""Microsoft SQL Server: type tables and identifier rules (conversion, assessment, `sparkdms convert`);
no connector yet."""

from sparkdms.connectors.base import EngineSpec

ENGINE = EngineSpec(
    name="sqlserver",
    dialect="sparkdms.connectors.sqlserver.types:SQLSERVER",
    summary="type tables only",
)
