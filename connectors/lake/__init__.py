"""Delta Lake and Parquet tables on a path or object store: targets."""

from sparkdms.connectors.base import EngineSpec

DELTA = EngineSpec(
    name="delta",
    connector="sparkdms.connectors.lake.connector:DeltaConnector",
    dialect="sparkdms.connectors.lake.types:DELTA",
    summary="target; atomic Delta commits",
)
PARQUET = EngineSpec(
    name="parquet",
    connector="sparkdms.connectors.lake.connector:ParquetConnector",
    dialect="sparkdms.connectors.lake.types:PARQUET",
    summary="target; staged directory moved into place",
)
