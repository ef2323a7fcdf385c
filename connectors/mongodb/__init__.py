"""MongoDB and Amazon DocumentDB (the same wire protocol, DocumentDB's limits): a source in
document mode or table mode (AWS DMS ``NestingLevel``), and a target of documents."""

from sparkdms.connectors.base import EngineSpec

ENGINE = EngineSpec(
    name="mongodb",
    connector=None,  # "sparkdms.connectors.mongodb.connector:MongoConnector" once it exists
    dialect="sparkdms.connectors.mongodb.types:MONGODB",
    aliases=("mongo",),
    summary="source (document or table mode) and target; pymongo on the executors",
)
DOCDB = EngineSpec(
    name="docdb",
    connector=None,  # "sparkdms.connectors.mongodb.connector:DocDbConnector" once it exists
    dialect="sparkdms.connectors.mongodb.types:MONGODB",
    aliases=("documentdb",),
    summary="Amazon DocumentDB: the MongoDB engine with DocumentDB's limits",
)
