"""Engines by name, found through Python entry points and imported lazily.

The core never imports an engine by name. Each engine package exposes an ``EngineSpec``
and is listed in the entry-point group ``sparkdms.engines`` (the built-in engines in
sparkdms's own ``pyproject.toml``, a third-party engine in its distribution's). Loading
an entry point imports only the package's ``__init__``; the connector and the dialect
modules are imported when the engine is used, so a user without pymongo can still run a
PostgreSQL task.

Where no distribution metadata exists (the code shipped to executors as a zip), the
engine packages under ``sparkdms.connectors`` are listed instead. ``register`` adds an
engine at run time (tests, notebooks).
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from sparkdms.errors import TaskConfigError, UnknownEngineError

if TYPE_CHECKING:
    from sparkdms.connectors.base import Dialect, EngineSpec
    from sparkdms.task import Endpoint

GROUP = "sparkdms.engines"
# engines on the roadmap: named in the error a user gets, so that a typo and a planned
# engine are told apart (no package of theirs exists yet)
PLANNED = ("mongodb", "docdb", "s3", "dynamodb", "kinesis")

_lock = threading.Lock()
_specs: dict[str, EngineSpec] | None = None
_extra: dict[str, EngineSpec] = {}


def _from_entry_points() -> list[EngineSpec]:
    return [ep.load() for ep in entry_points(group=GROUP)]


def _from_packages() -> list[EngineSpec]:
    """Engine packages shipped with sparkdms, for code run without its metadata."""
    import sparkdms.connectors as pkg
    from sparkdms.connectors.base import EngineSpec

    out = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.ispkg:
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            out += [v for v in vars(module).values() if isinstance(v, EngineSpec)]
    return out


def specs() -> dict[str, EngineSpec]:
    """Every registered engine by canonical name."""
    global _specs
    with _lock:
        if _specs is None:
            found = _from_entry_points() or _from_packages()
            _specs = {s.name: s for s in found}
        return {**_specs, **_extra}


def register(spec: EngineSpec) -> None:
    """Add (or replace) an engine at run time."""
    _extra[spec.name] = spec


def unregister(name: str) -> None:
    _extra.pop(name, None)


def _aliases() -> dict[str, str]:
    return {alias: s.name for s in specs().values() for alias in (s.name, *s.aliases)}


def engine_names() -> list[str]:
    return sorted({*_aliases(), *PLANNED})


def canonical_engine(name: str, key: str = "engine") -> str:
    canonical = _aliases().get(name.strip().lower())
    if canonical is None and name.strip().lower() not in PLANNED:
        raise TaskConfigError(key, f"unknown engine {name!r}; known: {', '.join(engine_names())}")
    if canonical is None or specs()[canonical].connector is None:
        built = sorted(n for n, s in specs().items() if s.connector)
        raise TaskConfigError(key, f"engine {name!r} is not supported yet; available now: "
                                   f"{', '.join(built)}")
    return canonical


def _load(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def spec(engine: str) -> EngineSpec:
    found = specs().get(_aliases().get(engine, engine))
    if found is None:
        raise UnknownEngineError(f"no engine registered as {engine!r}")
    return found


def connector_class(engine: str) -> Any:
    target = spec(engine).connector
    if target is None:
        raise UnknownEngineError(f"no connector registered for engine {engine!r}")
    return _load(target)


def connector_for(endpoint: Endpoint) -> Any:
    return connector_class(endpoint.engine)(endpoint)


def check_endpoint(endpoint: Endpoint) -> None:
    connector_class(endpoint.engine).check_endpoint(endpoint)


def dialect(engine: str) -> Dialect:
    """The engine's type tables and identifier rules (no connection needed)."""
    from sparkdms.errors import UnsupportedTypeError

    try:
        return _load(spec(engine).dialect)
    except UnknownEngineError:
        raise UnsupportedTypeError("?", "?", engine, f"no type tables for engine {engine!r}; "
                                   f"known: {', '.join(sorted(specs()))}") from None


def known_dialect(engine: str) -> Dialect | None:
    try:
        return _load(spec(engine).dialect)
    except UnknownEngineError:
        return None


def engine_settings(engines: list[str]) -> dict[str, Any]:
    """Settings the named engines register (``Sparkdms.FetchSize`` ...)."""
    out: dict[str, Any] = {}
    for name in engines:
        try:
            out.update(spec(name).settings)
        except UnknownEngineError:
            continue
    return out
