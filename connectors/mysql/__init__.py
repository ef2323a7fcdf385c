"""MySQL, MariaDB and Aurora MySQL: source and target (batched INSERT writer)."""

from sparkdms.connectors.base import EngineSpec
from sparkdms.connectors.sql.settings import SQL_SETTINGS

MYSQL = EngineSpec(
    name="mysql",
    aliases=("aurora", "aurora-mysql"),
    connector="sparkdms.connectors.mysql.connector:MySQLConnector",
    dialect="sparkdms.connectors.mysql.types:MYSQL",
    settings=SQL_SETTINGS,
    summary="source and target; reads through JDBC, writes batched INSERTs",
)
MARIADB = EngineSpec(
    name="mariadb",
    connector="sparkdms.connectors.mysql.connector:MariaDBConnector",
    dialect="sparkdms.connectors.mysql.types:MARIADB",
    settings=SQL_SETTINGS,
    summary=MYSQL.summary,
)
