"""The MongoDB engine: the source (source.py) and the target (target.py) as one connector."""

from __future__ import annotations

from typing import ClassVar

from sparkdms.connectors.base import Connector
from sparkdms.connectors.mongodb.source import MongoSource
from sparkdms.connectors.mongodb.target import MongoTarget


class MongoConnector(MongoSource, MongoTarget, Connector):
    engine: ClassVar[str] = "mongodb"


class DocDbConnector(MongoConnector):
    """Amazon DocumentDB: MongoDB's protocol with DocumentDB's limits (see target.py)."""

    engine: ClassVar[str] = "docdb"
    docdb: ClassVar[bool] = True
