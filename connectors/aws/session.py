"""AWS endpoint keys, credentials and boto3 clients, shared by the AWS engines.

An AWS endpoint block takes, besides ``engine``, the keys below (AWS DMS's own settings
block, e.g. ``S3Settings``, is declared by each engine). ``endpoint_url`` points the same
code at real AWS (omitted), MinIO, LocalStack or moto. Keys are optional: boto3's default
credential chain (environment, profile, instance role) applies otherwise. The secret key and
session token are ``Secret`` values (never printed); they are revealed only to boto3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sparkdms.errors import EndpointError, TaskConfigError
from sparkdms.task.secrets import Secret

if TYPE_CHECKING:
    from sparkdms.task import Endpoint

# endpoint-block keys every AWS engine reads (Endpointed.endpoint_keys)
AWS_KEYS = ("endpoint_url", "region", "access_key_id", "secret_access_key", "session_token")
DEFAULT_REGION = "us-east-1"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.reveal() if isinstance(value, Secret) else str(value)


def aws_options(endpoint: Endpoint) -> dict[str, str | None]:
    """The endpoint's AWS keys as plain text (secrets revealed: for boto3/Hadoop only)."""
    return {k: _text(endpoint.options.get(k)) for k in AWS_KEYS}


def check_aws(endpoint: Endpoint) -> None:
    """Both keys or neither; an endpoint URL with a scheme (TaskConfigError names the key)."""
    opts = endpoint.options
    has_id, has_secret = bool(opts.get("access_key_id")), bool(opts.get("secret_access_key"))
    if has_id != has_secret:
        missing = "secret_access_key" if has_id else "access_key_id"
        raise TaskConfigError(f"{endpoint.role}.{missing}",
                              "give access_key_id and secret_access_key together, or neither "
                              "(the default AWS credential chain is used then)")
    url = opts.get("endpoint_url")
    if url is not None and "://" not in str(url):
        raise TaskConfigError(f"{endpoint.role}.endpoint_url",
                              f"expected a URL such as http://127.0.0.1:5000, got {url!r}")


def settings_block(endpoint: Endpoint, name: str) -> Mapping[str, Any]:
    """The engine's AWS settings block (``S3Settings`` ...), {} when absent."""
    block = endpoint.options.get(name) or {}
    if not isinstance(block, Mapping):
        raise TaskConfigError(f"{endpoint.role}.{name}", "must be a mapping of AWS settings")
    return block


def boto_session(endpoint: Endpoint) -> Any:
    import boto3

    o = aws_options(endpoint)
    return boto3.session.Session(aws_access_key_id=o["access_key_id"],
                                 aws_secret_access_key=o["secret_access_key"],
                                 aws_session_token=o["session_token"],
                                 region_name=o["region"] or DEFAULT_REGION)


def client(endpoint: Endpoint, service: str, **config: Any) -> Any:
    """A boto3 client of ``service`` for this endpoint (its endpoint_url and region)."""
    from botocore.config import Config

    o = aws_options(endpoint)
    cfg = Config(retries={"max_attempts": 5, "mode": "standard"}, **config)
    return boto_session(endpoint).client(service, endpoint_url=o["endpoint_url"], config=cfg)


def resource(endpoint: Endpoint, service: str) -> Any:
    o = aws_options(endpoint)
    return boto_session(endpoint).resource(service, endpoint_url=o["endpoint_url"])


def aws_error(endpoint: Endpoint, err: Exception, what: str) -> EndpointError:
    """One line for a botocore error: the AWS error code and message, never a key."""
    code = getattr(err, "response", {}).get("Error", {}) if hasattr(err, "response") else {}
    reason = f"{code.get('Code')}: {code.get('Message')}" if code else \
        f"{type(err).__name__}: {err}"
    return EndpointError(endpoint.role, endpoint.engine, f"{what}: {reason}")
