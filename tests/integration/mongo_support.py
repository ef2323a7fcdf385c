"""Fixtures for tests against the real MongoDB wire-protocol server of ``scripts/services.sh``
(FerretDB on 127.0.0.1:27017, no auth). Shared by the MongoDB source and target tests.

``mongo_db`` gives a ``MongoDb``: a fresh database name, a pymongo client and the endpoint
block of a task file; the database is dropped at the end (``SPARKDMS_KEEP_TEST_DBS=1`` keeps
it). An unreachable server makes the test FAIL, never skip. Import the fixture into a test
module with ``from tests.integration.mongo_support import mongo_db  # noqa: F401``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pymongo
import pytest

MONGO_HOST = os.environ.get("SPARKDMS_MONGO_HOST", "127.0.0.1")
MONGO_PORT = int(os.environ.get("SPARKDMS_MONGO_PORT", "27017"))
MONGO_URL = f"mongodb://{MONGO_HOST}:{MONGO_PORT}"


def mongo_client(**kw: Any) -> pymongo.MongoClient:
    """A client as the connector builds one (UTC-aware datetimes, standard UUIDs)."""
    kw.setdefault("serverSelectionTimeoutMS", 5000)
    return pymongo.MongoClient(MONGO_URL, tz_aware=True, uuidRepresentation="standard", **kw)


@dataclass
class MongoDb:
    name: str
    client: pymongo.MongoClient

    @property
    def db(self) -> Any:
        return self.client[self.name]

    @property
    def url(self) -> str:
        return f"{MONGO_URL}/{self.name}"

    def endpoint(self, engine: str = "mongodb", **settings: Any) -> dict[str, Any]:
        """The task-file endpoint block; ``settings`` become ``MongoDbSettings``."""
        out: dict[str, Any] = {"engine": engine, "url": self.url}
        if settings:
            out["MongoDbSettings"] = settings
        return out


def _keep() -> bool:
    return os.environ.get("SPARKDMS_KEEP_TEST_DBS", "") not in ("", "0", "false")


_CLIENT: list[pymongo.MongoClient] = []


def _server() -> pymongo.MongoClient:
    """One client per test session; an unreachable server fails the test."""
    if not _CLIENT:
        client = mongo_client()
        try:
            client.admin.command("ping")
        except pymongo.errors.PyMongoError as err:
            pytest.fail(f"MongoDB (FerretDB) at {MONGO_URL} unreachable: {err}. "
                        "Start it with `scripts/services.sh start ferretdb`.")
        _CLIENT.append(client)
    return _CLIENT[0]


@pytest.fixture
def mongo_db() -> Iterator[MongoDb]:
    """A fresh database on the MongoDB server, dropped at the end."""
    client = _server()
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield MongoDb(name, client)
    if not _keep():
        client.drop_database(name)
