"""MongoDB and Amazon DocumentDB (the same wire protocol, DocumentDB's limits): a source in
document mode or table mode (AWS DMS ``NestingLevel``), and a target of documents."""

from sparkdms.connectors.base import EngineSpec
from sparkdms.connectors.mongodb.target_settings import TARGET_SETTINGS

ENGINE = EngineSpec(
    name="mongodb",
    connector="sparkdms.connectors.mongodb.connector:MongoConnector",
    dialect="sparkdms.connectors.mongodb.types:MONGODB",
    aliases=("mongo",),
    settings=TARGET_SETTINGS,
    summary="source (document or table mode) and target; pymongo on the executors",
)
DOCDB = EngineSpec(
    name="docdb",
    connector="sparkdms.connectors.mongodb.connector:DocDbConnector",
    dialect="sparkdms.connectors.mongodb.types:MONGODB",
    aliases=("documentdb",),
    settings=TARGET_SETTINGS,
    summary="Amazon DocumentDB: the MongoDB engine with DocumentDB's limits",
)
