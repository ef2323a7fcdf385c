"""PostgreSQL and Aurora PostgreSQL: source and target (COPY writer, direct copy)."""

from sparkdms.connectors.base import EngineSpec
from sparkdms.connectors.sql.settings import SQL_SETTINGS

from sparkdms.task.settings import Setting

ENGINE = EngineSpec(
    name="postgres",
    aliases=("postgresql", "aurora-postgresql"),
    connector="sparkdms.connectors.postgres.connector:PostgresConnector",
    dialect="sparkdms.connectors.postgres.types:POSTGRES",
    settings={
        **SQL_SETTINGS,
        # PostgreSQL -> PostgreSQL plans that copy every column as it is stream COPY
        "Sparkdms.DirectCopy": Setting(bool, True),
    },
    summary="source and target; reads through JDBC, writes with COPY",
)
