"""Amazon Redshift: target (S3 staging + COPY in one transaction per table); type tables and
identifier rules for conversion and assessment."""

from sparkdms.connectors.base import EngineSpec

from sparkdms.task.settings import Setting

ENGINE = EngineSpec(
    name="redshift",
    connector="sparkdms.connectors.redshift.connector:RedshiftConnector",
    dialect="sparkdms.connectors.redshift.types:REDSHIFT",
    settings={
        # slices of the cluster (staged files come in multiples of it); 0: ask the cluster
        "Sparkdms.RedshiftSlices": Setting(int, 0, minimum=0),
    },
    summary="target; S3 staging (Parquet) + COPY, one transaction per table",
)
