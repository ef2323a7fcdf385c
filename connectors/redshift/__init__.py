"""Amazon Redshift: type tables and identifier rules (conversion, assessment, `sparkdms convert`);
no connector yet."""

from sparkdms.connectors.base import EngineSpec

ENGINE = EngineSpec(
    name="redshift",
    dialect="sparkdms.connectors.redshift.types:REDSHIFT",
    summary="type tables only",
)
