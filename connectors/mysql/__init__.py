"""MySQL, MariaDB and Aurora MySQL: source and target (batched INSERT writer)."""

from sparkdms.connectors.base import EngineSpec
from sparkdms.connectors.sql.settings import SQL_SETTINGS

from sparkdms.task.settings import Setting

# plans whose every column has an exact text form load another engine's text stream with
# LOAD DATA (connectors/mysql/textin.py); the same name as PostgreSQL's
SETTINGS = {**SQL_SETTINGS, "Sparkdms.DirectCopy": Setting(bool, True)}

MYSQL = EngineSpec(
    name="mysql",
    aliases=("aurora", "aurora-mysql"),
    connector="sparkdms.connectors.mysql.connector:MySQLConnector",
    dialect="sparkdms.connectors.mysql.types:MYSQL",
    settings=SETTINGS,
    summary="source and target; reads through JDBC, writes batched INSERTs",
)
MARIADB = EngineSpec(
    name="mariadb",
    connector="sparkdms.connectors.mysql.connector:MariaDBConnector",
    dialect="sparkdms.connectors.mysql.types:MARIADB",
    settings=SETTINGS,
    summary=MYSQL.summary,
)
