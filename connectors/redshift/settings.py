"""``RedshiftSettings`` (AWS DMS's names) and ``table_keys`` (sparkdms's own) of a Redshift
target endpoint.

https://docs.aws.amazon.com/dms/latest/APIReference/API_RedshiftSettings.html

Used: ``BucketName`` (required: the staging bucket), ``BucketFolder``, ``ServiceAccessRoleArn``
(COPY's ``IAM_ROLE``), ``EncryptionMode`` (``SSE_S3`` default, ``SSE_KMS`` with
``ServerSideEncryptionKmsKeyId``), ``MaxFileSize`` (KB, the largest staged file; AWS's
default 1,048,576 = 1 GB), ``CompUpdate`` (COPY's COMPUPDATE), ``AfterConnectScript`` (run on
every connection), ``ConnectionTimeout`` (seconds), ``LoadTimeout`` (milliseconds, the
statement timeout of the load transaction).
Accepted with no effect: the CSV options of AWS DMS's own staging (``AcceptAnyDate``,
``DateFormat``, ``TimeFormat``, ``EmptyAsNull``, ``RemoveQuotes``, ``ReplaceChars``,
``ReplaceInvalidChars``, ``TrimBlanks``, ``TruncateColumns``, ``CaseSensitiveNames``,
``ExplicitIds``, ``FileTransferUploadStreams``, ``WriteBufferSize``, ``MapBooleanAsBoolean``):
sparkdms stages Parquet, which keeps types, NULLs and empty strings as they are and never
truncates.
Refused with a pointer: ``ServerName``, ``Port``, ``DatabaseName``, ``Username``,
``Password`` (the endpoint's own ``host``, ``port``, ``database``, ``user``, ``password``),
``SecretsManager*`` (use ``${env:...}``).

``table_keys`` (beside ``RedshiftSettings``) overrides the distribution and sort keys per
target table; by default a table with a primary key is ``DISTSTYLE KEY DISTKEY(<first key
column>) COMPOUND SORTKEY(<key columns>)`` and one without is left to Redshift (AUTO)::

    table_keys:
      public.orders: {distkey: customer_id, sortkey: [order_date, id]}
      public.countries: {diststyle: ALL}
      public.events: {diststyle: EVEN, sortkey: [], sortstyle: INTERLEAVED}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.aws.session import settings_block

from sparkdms.errors import TaskConfigError

if TYPE_CHECKING:
    from sparkdms.task import Endpoint

BLOCK = "RedshiftSettings"
KEYS_BLOCK = "table_keys"
USED = ("BucketName", "BucketFolder", "ServiceAccessRoleArn", "EncryptionMode",
        "ServerSideEncryptionKmsKeyId", "MaxFileSize", "CompUpdate", "AfterConnectScript",
        "ConnectionTimeout", "LoadTimeout")
NO_EFFECT = ("AcceptAnyDate", "DateFormat", "TimeFormat", "EmptyAsNull", "RemoveQuotes",
             "ReplaceChars", "ReplaceInvalidChars", "TrimBlanks", "TruncateColumns",
             "CaseSensitiveNames", "ExplicitIds", "FileTransferUploadStreams", "WriteBufferSize",
             "MapBooleanAsBoolean")
ELSEWHERE = {"ServerName": "host", "Port": "port", "DatabaseName": "database",
             "Username": "user", "Password": "password",
             "SecretsManagerAccessRoleArn": "password: ${env:...}",
             "SecretsManagerSecretId": "password: ${env:...}"}
ENCRYPTION = ("SSE_S3", "SSE_KMS")
DISTSTYLES = ("AUTO", "EVEN", "KEY", "ALL")
SORTSTYLES = ("COMPOUND", "INTERLEAVED")
DEFAULT_MAX_KB = 1_048_576  # AWS DMS's MaxFileSize default: 1 GB


@dataclass(frozen=True)
class RedshiftSettings:
    bucket: str
    folder: str = ""
    role_arn: str | None = None
    encryption: str = "SSE_S3"
    kms_key: str | None = None
    max_file_bytes: int = DEFAULT_MAX_KB * 1024
    comp_update: bool | None = None
    after_connect: str | None = None
    connect_timeout: int = 10
    load_timeout_ms: int | None = None


@dataclass(frozen=True)
class TableKeys:
    """Distribution and sort of one table (None: the default from the primary key)."""

    diststyle: str | None = None
    distkey: str | None = None
    sortkey: tuple[str, ...] | None = None
    sortstyle: str = "COMPOUND"


def _int(role: str, key: str, value: Any, minimum: int = 1) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise TaskConfigError(f"{role}.{BLOCK}.{key}", f"expected a whole number >= {minimum}, "
                                                       f"got {value!r}")
    return number


def _bool(role: str, key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise TaskConfigError(f"{role}.{BLOCK}.{key}", f"expected true or false, got {value!r}")


def _check_keys(role: str, block: Mapping[str, Any]) -> None:
    for key in block:
        if key in ELSEWHERE:
            raise TaskConfigError(f"{role}.{BLOCK}.{key}",
                                  f"give it as the endpoint's {ELSEWHERE[key]}")
        if key not in USED and key not in NO_EFFECT:
            raise TaskConfigError(f"{role}.{BLOCK}.{key}",
                                  f"unknown Redshift setting; known: {', '.join(USED)} "
                                  f"(and AWS DMS's CSV options, which Parquet staging needs not)")


def parse(endpoint: Endpoint) -> RedshiftSettings:
    block = settings_block(endpoint, BLOCK)
    role = endpoint.role
    _check_keys(role, block)
    bucket = str(block.get("BucketName") or "").strip()
    if not bucket or "/" in bucket:
        raise TaskConfigError(f"{role}.{BLOCK}.BucketName",
                              "missing or not a bucket name; the S3 bucket the tables are "
                              "staged in for COPY (same region as the cluster)")
    mode = str(block.get("EncryptionMode", "SSE_S3")).upper()
    if mode not in ENCRYPTION:
        raise TaskConfigError(f"{role}.{BLOCK}.EncryptionMode",
                              f"expected one of {', '.join(ENCRYPTION)}, got {mode!r}")
    kms = block.get("ServerSideEncryptionKmsKeyId")
    if mode == "SSE_KMS" and not kms:
        raise TaskConfigError(f"{role}.{BLOCK}.ServerSideEncryptionKmsKeyId",
                              "EncryptionMode SSE_KMS needs the KMS key id")
    comp = block.get("CompUpdate")
    return RedshiftSettings(
        bucket=bucket, folder=str(block.get("BucketFolder") or "").strip("/"),
        role_arn=str(block["ServiceAccessRoleArn"]) if block.get("ServiceAccessRoleArn") else None,
        encryption=mode, kms_key=str(kms) if kms else None,
        max_file_bytes=_int(role, "MaxFileSize", block.get("MaxFileSize", DEFAULT_MAX_KB)) * 1024,
        comp_update=None if comp is None else _bool(role, "CompUpdate", comp),
        after_connect=str(block["AfterConnectScript"]) if block.get("AfterConnectScript") else None,
        connect_timeout=_int(role, "ConnectionTimeout", block.get("ConnectionTimeout", 10)),
        load_timeout_ms=_int(role, "LoadTimeout", block["LoadTimeout"])
        if block.get("LoadTimeout") is not None else None)


def _one_keys(role: str, name: str, raw: Any) -> TableKeys:
    where = f"{role}.{KEYS_BLOCK}.{name}"
    if not isinstance(raw, Mapping):
        raise TaskConfigError(where, "must be a mapping (diststyle, distkey, sortkey, sortstyle)")
    unknown = set(raw) - {"diststyle", "distkey", "sortkey", "sortstyle"}
    if unknown:
        raise TaskConfigError(f"{where}.{sorted(unknown)[0]}",
                              "unknown; known: diststyle, distkey, sortkey, sortstyle")
    style = str(raw["diststyle"]).upper() if raw.get("diststyle") else None
    if style is not None and style not in DISTSTYLES:
        raise TaskConfigError(f"{where}.diststyle", f"expected one of {', '.join(DISTSTYLES)}")
    distkey = str(raw["distkey"]) if raw.get("distkey") else None
    if distkey and style not in (None, "KEY"):
        raise TaskConfigError(f"{where}.distkey", f"a distkey needs diststyle KEY, not {style}")
    sort = raw.get("sortkey")
    if isinstance(sort, str):
        sort = [sort]
    if sort is not None and not isinstance(sort, list):
        raise TaskConfigError(f"{where}.sortkey", "expected a column name or a list of them")
    sortstyle = str(raw.get("sortstyle", "COMPOUND")).upper()
    if sortstyle not in SORTSTYLES:
        raise TaskConfigError(f"{where}.sortstyle", f"expected one of {', '.join(SORTSTYLES)}")
    return TableKeys("KEY" if distkey else style, distkey,
                     None if sort is None else tuple(str(c) for c in sort), sortstyle)


def table_keys(endpoint: Endpoint) -> dict[str, TableKeys]:
    """``schema.table`` (or ``table``) -> its keys."""
    raw = endpoint.options.get(KEYS_BLOCK) or {}
    if not isinstance(raw, Mapping):
        raise TaskConfigError(f"{endpoint.role}.{KEYS_BLOCK}",
                              "must be a mapping of schema.table to keys")
    return {str(name): _one_keys(endpoint.role, str(name), spec) for name, spec in raw.items()}
