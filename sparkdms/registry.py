"""Engines by name, imported lazily.

The core never imports a connector module by name: it asks this registry,
which imports ``module:Class`` only when an engine is used, so a user
without pymongo can still run a PostgreSQL task.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkdms.errors import TaskConfigError, UnknownEngineError

if TYPE_CHECKING:
    from sparkdms.task import Endpoint


@dataclass(frozen=True)
class EngineEntry:
    target: str | None  # "module:Class", None when planned but not built yet
    aliases: tuple[str, ...] = ()


ENGINES: dict[str, EngineEntry] = {
    "postgres": EngineEntry("connectors.jdbc.postgres:PostgresConnector",
                            ("postgresql", "aurora-postgresql")),
    "mysql": EngineEntry("connectors.jdbc.mysql:MySQLConnector", ("aurora", "aurora-mysql")),
    "mariadb": EngineEntry("connectors.jdbc.mysql:MariaDBConnector"),
    "sqlite": EngineEntry("connectors.jdbc.sqlite:SQLiteConnector"),
    "delta": EngineEntry("connectors.lake:DeltaConnector"),
    "parquet": EngineEntry("connectors.lake:ParquetConnector"),
    "sqlserver": EngineEntry(None),
    "oracle": EngineEntry(None),
    "db2": EngineEntry(None),
    "redshift": EngineEntry(None),
    "mongodb": EngineEntry(None),
    "docdb": EngineEntry(None),
    "s3": EngineEntry(None),
    "dynamodb": EngineEntry(None),
    "kinesis": EngineEntry(None),
}

_ALIASES = {alias: name for name, e in ENGINES.items() for alias in (name, *e.aliases)}


def engine_names() -> list[str]:
    return sorted(_ALIASES)


def canonical_engine(name: str, key: str = "engine") -> str:
    canonical = _ALIASES.get(name.strip().lower())
    if canonical is None:
        raise TaskConfigError(key, f"unknown engine {name!r}; known: {', '.join(engine_names())}")
    if ENGINES[canonical].target is None:
        built = sorted(n for n, e in ENGINES.items() if e.target)
        raise TaskConfigError(key, f"engine {name!r} is not supported yet; available now: "
                                   f"{', '.join(built)}")
    return canonical


def connector_class(engine: str) -> Any:
    entry = ENGINES.get(engine)
    if entry is None or entry.target is None:
        raise UnknownEngineError(f"no connector registered for engine {engine!r}")
    module_name, _, class_name = entry.target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


def connector_for(endpoint: Endpoint) -> Any:
    return connector_class(endpoint.engine)(endpoint)


def check_endpoint(endpoint: Endpoint) -> None:
    connector_class(endpoint.engine).check_endpoint(endpoint)
