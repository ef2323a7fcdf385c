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
        # true: a PostgreSQL source reads through COPY (SELECT ...) TO STDOUT on the executors
        # (connectors/postgres/copyread.py) instead of Spark's JDBC reader; off by default:
        # on 2 cores it costs more CPU than the JDBC read (bench numbers in copyread.py)
        "Sparkdms.PostgresCopyRead": Setting(bool, False),
    },
    summary="source and target; reads through JDBC, writes with COPY",
)
