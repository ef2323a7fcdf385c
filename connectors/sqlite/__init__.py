"""SQLite: a database file, as source and target."""

from sparkdms.connectors.base import EngineSpec
from sparkdms.connectors.sql.settings import SQL_SETTINGS

ENGINE = EngineSpec(
    name="sqlite",
    connector="sparkdms.connectors.sqlite.connector:SQLiteConnector",
    dialect="sparkdms.connectors.sqlite.types:SQLITE",
    settings=SQL_SETTINGS,
    summary="source and target; a file on a local or shared path",
)
