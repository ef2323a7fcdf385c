"""The task file: parsed and validated before Spark starts.

Errors name the dotted key that is wrong and the values that are allowed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sparkdms.errors import TaskConfigError
from sparkdms.registry import canonical_engine, engine_names
from sparkdms.task.aws_settings import load_settings
from sparkdms.task.secrets import (
    Secret,
    hide_options,
    mask_url,
    option_secrets,
    resolve_refs,
    url_secrets,
)
from sparkdms.task.settings import Settings

MIGRATION_TYPES = {"full-load": True, "cdc": True, "full-load-and-cdc": True}
# AWS DMS's task parameters for change data capture (create-replication-task): where changes
# start (a source position, or a commit time) and where a run stops (a position, or
# ``server_time:``/``commit_time:`` and an ISO time); see sparkdms/cdc
CDC_KEYS = ("CdcStartPosition", "CdcStartTime", "CdcStopPosition")
TOP_KEYS = ("name", "migration_type", "source", "target", "table_mappings", "settings", "spark",
            "description", "type_overrides", *CDC_KEYS)
ENDPOINT_KEYS = ("engine", "url", "host", "port", "database", "user", "password", "path",
                 "options", "schema")


@dataclass(frozen=True)
class Endpoint:
    """One side of a migration. Picklable; ``password`` never prints."""

    role: str
    engine: str
    url: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    user: str | None = None
    password: Secret | None = None
    path: str | None = None
    schema: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:  # passwords inside URLs: known secrets from now on
        url_secrets(self.url)
        url_secrets(self.path)

    @property
    def secrets(self) -> list[Secret]:
        """Every secret of the endpoint: the password, secret options, passwords written in
        the connection string (or a path URL). Messages are redacted of all of them."""
        return [*([self.password] if self.password else []), *option_secrets(self.options),
                *url_secrets(self.url), *url_secrets(self.path)]

    def __repr__(self) -> str:  # the connection string may hold a password
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["url"] = mask_url(self.url) if self.url else None
        shown["path"] = mask_url(self.path) if self.path else None
        return f"Endpoint({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def describe(self) -> str:
        where = (mask_url(self.path) if self.path else None) or \
            (mask_url(self.url) if self.url else None) or \
            (mask_url(str(self.options["endpoint_url"])) if self.options.get("endpoint_url")
             else None) or \
            (f"AWS {self.options['region']}" if self.options.get("region") else None) or \
            f"{self.host}:{self.port}/{self.database}"
        return f"{self.engine} at {where}"


@dataclass(frozen=True)
class Task:
    name: str
    migration_type: str
    source: Endpoint
    target: Endpoint
    table_mappings: Mapping[str, Any]
    settings: Settings
    spark: Mapping[str, Any] = field(default_factory=dict)
    type_overrides: Mapping[str, Any] = field(default_factory=dict)
    base_dir: Path = Path(".")
    cdc: Mapping[str, str] = field(default_factory=dict)  # CDC_KEYS given in the task file

    @property
    def secrets(self) -> list[Secret]:
        return self.source.secrets + self.target.secrets


def _require_mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TaskConfigError(key, f"must be a mapping, got {type(value).__name__}")
    return value


def _check_keys(doc: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for key in doc:
        if key not in allowed:
            where = f"{prefix}.{key}" if prefix else str(key)
            raise TaskConfigError(where, f"unknown key; allowed: {', '.join(allowed)}")


def _resolve(value: Any, key: str, base_dir: Path) -> Any:
    if isinstance(value, str):
        return resolve_refs(value, key, base_dir)
    if isinstance(value, Mapping):
        return {k: _resolve(v, f"{key}.{k}", base_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, f"{key}[{i}]", base_dir) for i, v in enumerate(value)]
    return value


def parse_endpoint(doc: Any, role: str, base_dir: Path) -> Endpoint:
    doc = _require_mapping(doc, role)
    if "engine" not in doc:
        _check_keys(doc, ENDPOINT_KEYS, role)
        raise TaskConfigError(f"{role}.engine", f"missing; one of: {', '.join(engine_names())}")
    engine = canonical_engine(str(doc["engine"]), f"{role}.engine")
    from sparkdms.registry import connector_class

    engine_class = connector_class(engine)
    # an engine's own endpoint blocks (S3Settings, MongoDbSettings, region, ...) sit beside
    # the common keys, as AWS DMS writes them; they reach the engine as options
    _check_keys(doc, (*ENDPOINT_KEYS, *engine_class.endpoint_keys), role)
    values = {k: _resolve(v, f"{role}.{k}", base_dir) for k, v in doc.items() if k != "engine"}
    port = values.get("port")
    if port is not None:
        try:
            port = int(port)
        except (TypeError, ValueError):
            raise TaskConfigError(f"{role}.port", f"expected a port number, got {port!r}") from None
    password = values.get("password")
    options = values.get("options") or {}
    _require_mapping(options, f"{role}.options")
    own = {k: values[k] for k in engine_class.endpoint_keys if k in values}
    path = values.get("path")
    if path and not ("://" in str(path) or Path(str(path)).is_absolute()):
        path = str((base_dir / str(path)).resolve())
    for key in options:
        if key not in engine_class.endpoint_options:
            known = ", ".join(engine_class.endpoint_options) or "none"
            raise TaskConfigError(f"{role}.options.{key}",
                                  f"unknown option for {engine}; known: {known}")
    endpoint = Endpoint(
        role=role, engine=engine, url=values.get("url"), host=values.get("host"), port=port,
        database=values.get("database"), user=values.get("user"),
        password=Secret(str(password)) if password is not None else None,
        path=path, schema=values.get("schema"),
        options=hide_options({**options, **own}, engine_class.secret_options),
    )
    engine_class.check_endpoint(endpoint)  # the engine validates its own options
    return endpoint


def load_table_mappings(value: Any, base_dir: Path) -> Mapping[str, Any]:
    if isinstance(value, str):
        path = (base_dir / value) if not Path(value).is_absolute() else Path(value)
        try:
            value = json.loads(path.read_text())
        except OSError as err:
            raise TaskConfigError("table_mappings", f"cannot read {path}: {err.strerror}") from None
        except json.JSONDecodeError as err:
            raise TaskConfigError("table_mappings", f"{path} is not valid JSON: {err}") from None
    doc = _require_mapping(value, "table_mappings")
    rules = doc.get("rules")
    if not isinstance(rules, list) or not rules:
        raise TaskConfigError("table_mappings.rules", "must be a non-empty list of rules")
    for i, rule in enumerate(rules):
        _require_mapping(rule, f"table_mappings.rules[{i}]")
    return doc


def parse_task(doc: Any, base_dir: Path = Path(".")) -> Task:
    doc = _require_mapping(doc, "task")
    _check_keys(doc, TOP_KEYS, "")
    for key in ("name", "source", "target", "table_mappings"):
        if key not in doc:
            raise TaskConfigError(key, "missing (required)")
    mtype = str(doc.get("migration_type", "full-load"))
    if mtype not in MIGRATION_TYPES:
        raise TaskConfigError("migration_type", f"{mtype!r} is not one of {', '.join(MIGRATION_TYPES)}")
    if not MIGRATION_TYPES[mtype]:
        raise TaskConfigError("migration_type", f"{mtype!r} is not supported yet; use full-load")
    spark = _require_mapping(doc.get("spark") or {}, "spark")
    _check_keys(spark, ("master", "conf", "app_name"), "spark")
    overrides = _require_mapping(doc.get("type_overrides") or {}, "type_overrides")
    source = parse_endpoint(doc["source"], "source", base_dir)
    target = parse_endpoint(doc["target"], "target", base_dir)
    return Task(
        name=str(doc["name"]),
        migration_type=mtype,
        source=source,
        target=target,
        table_mappings=load_table_mappings(doc["table_mappings"], base_dir),
        settings=Settings.parse(load_settings(doc.get("settings"), base_dir),
                                (source.engine, target.engine)),
        spark=dict(spark),
        type_overrides=dict(overrides),
        base_dir=base_dir,
        cdc=_cdc_keys(doc, mtype),
    )


def _cdc_keys(doc: Mapping[str, Any], mtype: str) -> dict[str, str]:
    """CdcStartPosition / CdcStartTime / CdcStopPosition as text; the start keys only for a
    ``cdc`` task (full-load-and-cdc starts where its snapshot is taken), one of them at most."""
    given = {k: str(doc[k]) for k in CDC_KEYS if doc.get(k) is not None}
    if given and mtype == "full-load":
        raise TaskConfigError(next(iter(given)), "only for migration_type cdc or "
                              "full-load-and-cdc")
    starts = [k for k in ("CdcStartPosition", "CdcStartTime") if k in given]
    if starts and mtype != "cdc":
        raise TaskConfigError(starts[0], "only for migration_type cdc (full-load-and-cdc "
                              "starts where its snapshot is taken)")
    if len(starts) > 1:
        raise TaskConfigError("CdcStartTime", "give CdcStartPosition or CdcStartTime, not both")
    if "CdcStartTime" in given:
        _iso_time(given["CdcStartTime"], "CdcStartTime")
    stop = given.get("CdcStopPosition", "")
    kind, sep, when = stop.partition(":")
    if sep and kind.lower() in ("server_time", "commit_time"):
        _iso_time(when, "CdcStopPosition")
    return given


def _iso_time(text: str, key: str) -> None:
    from datetime import datetime

    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        raise TaskConfigError(key, f"expected an ISO time (2024-05-01T12:00:00), got "
                              f"{text!r}") from None


def load_task(path: str | Path) -> Task:
    import yaml  # here: `sparkdms --version` and `--help` need none of the dependencies

    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise TaskConfigError(str(path), f"cannot read task file: {err.strerror}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise TaskConfigError(str(path), f"not valid YAML: {err}") from None
    return parse_task(doc, path.parent.resolve())
