"""The MongoDB endpoint: connection string or host/port/database, user, password,
``authSource`` and TLS, and AWS DMS's ``MongoDbSettings`` block; pymongo clients.

Endpoint shape (task file)::

    source:
      engine: mongodb            # or docdb
      url: mongodb://127.0.0.1:27017/shop      # or host/port/database
      user: app
      password: ${env:MONGO_PW}
      MongoDbSettings: {NestingLevel: one, DocsToInvestigate: 1000, ExtractDocId: false,
                        AuthSource: admin, AuthMechanism: default}
      tls: {enabled: true, ca_file: /path/ca.pem, allow_invalid_hostnames: false}

The password is a ``Secret`` and reaches pymongo only as a keyword argument, never inside a
printed URL. ``MongoEndpoint`` is picklable: executors build their own client from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sparkdms.errors import EndpointError, TaskConfigError
from sparkdms.task.secrets import Secret, mask_url

if TYPE_CHECKING:
    from sparkdms.task import Endpoint

ENDPOINT_KEYS = ("MongoDbSettings", "tls")
NESTING_LEVELS = ("none", "one")
AUTH_MECHANISMS = {"default": None, "mongodb_cr": "MONGODB-CR", "scram_sha_1": "SCRAM-SHA-1",
                   "scram-sha-256": "SCRAM-SHA-256", "scram_sha_256": "SCRAM-SHA-256"}
# MongoDbSettings key -> (default, parser); unknown keys are a task-file error
SETTINGS: dict[str, tuple[Any, Any]] = {
    "NestingLevel": ("none", lambda v: str(v).lower()),
    "DocsToInvestigate": (1000, int),
    "ExtractDocId": (False, lambda v: str(v).lower() in ("true", "1", "yes")),
    "AuthSource": ("admin", str),
    "AuthMechanism": ("default", lambda v: str(v).lower()),
    "AuthType": ("password", lambda v: str(v).lower()),
    "DatabaseName": (None, str),
    "ReplicateShardCollections": (False, bool),
    "UseUpdateLookUp": (False, bool),
}
TLS_KEYS = ("enabled", "ca_file", "cert_key_file", "allow_invalid_hostnames")
TIMEOUT_MS = 5000


@dataclass(frozen=True)
class MongoEndpoint:
    """Everything a client needs, picklable (executors connect from it)."""

    uri: str  # without the password
    database: str
    user: str | None = None
    password: Secret | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    tls: Mapping[str, Any] = field(default_factory=dict)
    docdb: bool = False

    @property
    def nesting(self) -> str:
        return str(self.settings["NestingLevel"])

    def client(self, **extra: Any) -> Any:
        """A pymongo MongoClient (callers close it)."""
        import pymongo

        kw: dict[str, Any] = {"serverSelectionTimeoutMS": TIMEOUT_MS, "tz_aware": True,
                              "uuidRepresentation": "standard", **extra}
        if self.user:
            kw.update(username=self.user, authSource=self.settings["AuthSource"])
            if self.password is not None:
                kw["password"] = self.password.reveal()
            mech = AUTH_MECHANISMS.get(self.settings["AuthMechanism"])
            if mech:
                kw["authMechanism"] = mech
        kw.update(_tls_kwargs(self.tls))
        return pymongo.MongoClient(self.uri, **kw)

    def describe(self) -> str:
        return f"{mask_url(self.uri)} (database {self.database})"


def _tls_kwargs(tls: Mapping[str, Any]) -> dict[str, Any]:
    if not tls or not tls.get("enabled", True):
        return {}
    out: dict[str, Any] = {"tls": True}
    if tls.get("ca_file"):
        out["tlsCAFile"] = str(tls["ca_file"])
    if tls.get("cert_key_file"):
        out["tlsCertificateKeyFile"] = str(tls["cert_key_file"])
    if tls.get("allow_invalid_hostnames"):
        out["tlsAllowInvalidHostnames"] = True
    return out


def parse_settings(endpoint: Endpoint) -> dict[str, Any]:
    raw = endpoint.options.get("MongoDbSettings") or {}
    if not isinstance(raw, Mapping):
        raise TaskConfigError(f"{endpoint.role}.MongoDbSettings", "must be a mapping")
    out = {}
    for key, (default, parse) in SETTINGS.items():
        value = raw.get(key)
        try:
            out[key] = default if value is None else parse(value)
        except (TypeError, ValueError):
            raise TaskConfigError(f"{endpoint.role}.MongoDbSettings.{key}",
                                  f"cannot use {value!r}") from None
    unknown = sorted(set(raw) - set(SETTINGS))
    if unknown:
        raise TaskConfigError(f"{endpoint.role}.MongoDbSettings.{unknown[0]}",
                              f"unknown setting; known: {', '.join(SETTINGS)}")
    if out["NestingLevel"] not in NESTING_LEVELS:
        raise TaskConfigError(f"{endpoint.role}.MongoDbSettings.NestingLevel",
                              f"{out['NestingLevel']!r} is not one of {', '.join(NESTING_LEVELS)}")
    if out["AuthMechanism"] not in AUTH_MECHANISMS:
        raise TaskConfigError(f"{endpoint.role}.MongoDbSettings.AuthMechanism",
                              f"{out['AuthMechanism']!r} is not one of {', '.join(AUTH_MECHANISMS)}")
    if out["DocsToInvestigate"] < 1:
        raise TaskConfigError(f"{endpoint.role}.MongoDbSettings.DocsToInvestigate", "must be >= 1")
    return out


def _tls(endpoint: Endpoint) -> dict[str, Any]:
    raw = endpoint.options.get("tls") or {}
    if not isinstance(raw, Mapping):
        raise TaskConfigError(f"{endpoint.role}.tls", "must be a mapping")
    for key in raw:
        if key not in TLS_KEYS:
            raise TaskConfigError(f"{endpoint.role}.tls.{key}",
                                  f"unknown key; known: {', '.join(TLS_KEYS)}")
    return dict(raw)


def mongo_endpoint(endpoint: Endpoint, docdb: bool = False) -> MongoEndpoint:
    """The endpoint as a client needs it; TaskConfigError names the key that is wrong."""
    settings = parse_settings(endpoint)
    if endpoint.url:
        parts = urlsplit(str(endpoint.url))
        if parts.scheme not in ("mongodb", "mongodb+srv"):
            raise TaskConfigError(f"{endpoint.role}.url",
                                  f"expected mongodb:// or mongodb+srv://, got {mask_url(endpoint.url)}")
        uri = str(endpoint.url)
        database = endpoint.database or settings["DatabaseName"] or parts.path.lstrip("/")
    else:
        if not endpoint.host:
            raise TaskConfigError(f"{endpoint.role}.url", "missing; give url or host")
        uri = f"mongodb://{endpoint.host}:{endpoint.port or 27017}/"
        database = endpoint.database or settings["DatabaseName"]
    if not database:
        raise TaskConfigError(f"{endpoint.role}.database",
                              "missing; name the database in the url or as database")
    return MongoEndpoint(uri=uri, database=str(database), user=endpoint.user,
                         password=endpoint.password, settings=settings, tls=_tls(endpoint),
                         docdb=docdb)


def check_connection(endpoint: Endpoint, mongo: MongoEndpoint) -> None:
    """EndpointError with the server's reason: unreachable, authentication, ..."""
    import pymongo.errors

    try:
        with mongo.client() as client:
            client[mongo.database].command("ping")
    except pymongo.errors.OperationFailure as err:
        raise EndpointError(endpoint.role, endpoint.engine,
                            f"{mongo.describe()}: {err.details.get('errmsg', err) if err.details else err}"
                            ) from None
    except pymongo.errors.PyMongoError as err:
        raise EndpointError(endpoint.role, endpoint.engine,
                            f"cannot reach {mongo.describe()}: {type(err).__name__}: "
                            f"{str(err).splitlines()[0][:300]}") from None
