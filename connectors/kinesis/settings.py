"""``KinesisSettings``: the endpoint's AWS DMS settings block, with AWS's names.

https://docs.aws.amazon.com/dms/latest/APIReference/API_KinesisSettings.html

Every documented key is accepted; an unknown key stops the task naming it. A full load has
no transactions, no table alterations and no control records, so
``IncludeTransactionDetails``, ``IncludeTableAlterOperations`` and ``IncludeControlDetails``
change nothing in the records it writes (they are accepted for a task file brought from AWS
DMS unchanged). ``ServiceAccessRoleArn`` is AWS DMS's role to write to the stream: sparkdms
writes with the endpoint's own credentials and ignores it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.aws.session import settings_block

from sparkdms.errors import TaskConfigError

if TYPE_CHECKING:
    from sparkdms.task import Endpoint

BLOCK = "KinesisSettings"
FORMATS = ("json", "json-unformatted")
FLAGS = ("IncludeTransactionDetails", "IncludePartitionValue", "PartitionIncludeSchemaTable",
         "IncludeTableAlterOperations", "IncludeControlDetails", "IncludeNullAndEmpty",
         "NoHexPrefix", "UseLargeIntegerValue")
TEXTS = ("StreamArn", "MessageFormat", "ServiceAccessRoleArn")
KNOWN = (*TEXTS, *FLAGS)
# arn:aws:kinesis:<region>:<account>:stream/<name> (a bare stream name is taken too)
ARN = re.compile(r"^arn:aws[\w-]*:kinesis:(?P<region>[\w-]*):\d*:stream/(?P<name>[\w.-]+)$")


@dataclass(frozen=True)
class KinesisSettings:
    stream: str  # the stream's name
    stream_region: str | None  # from the ARN
    message_format: str = "json"
    include_null_and_empty: bool = False
    include_partition_value: bool = False
    partition_include_schema_table: bool = False
    no_hex_prefix: bool = False
    include_transaction_details: bool = False
    include_table_alter_operations: bool = False
    include_control_details: bool = False


def _flag(role: str, key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TaskConfigError(f"{role}.{BLOCK}.{key}", f"expected true or false, got {value!r}")


def _stream(role: str, value: Any) -> tuple[str, str | None]:
    text = str(value or "").strip()
    if not text:
        raise TaskConfigError(f"{role}.{BLOCK}.StreamArn",
                              "missing; the ARN of the Kinesis data stream to write to "
                              "(arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)")
    match = ARN.match(text)
    if match:
        return match.group("name"), match.group("region") or None
    if text.startswith("arn:") or not re.fullmatch(r"[\w.-]{1,128}", text):
        raise TaskConfigError(f"{role}.{BLOCK}.StreamArn",
                              f"expected arn:aws:kinesis:REGION:ACCOUNT:stream/NAME, got {text!r}")
    return text, None


def parse(endpoint: Endpoint) -> KinesisSettings:
    """The endpoint's KinesisSettings (TaskConfigError names a wrong or unknown key)."""
    block: Mapping[str, Any] = settings_block(endpoint, BLOCK)
    role = endpoint.role
    for key in block:
        if key not in KNOWN:
            raise TaskConfigError(f"{role}.{BLOCK}.{key}",
                                  f"unknown Kinesis setting; known: {', '.join(KNOWN)}")
    fmt = str(block.get("MessageFormat", "json")).lower().replace("_", "-")
    if fmt not in FORMATS:
        raise TaskConfigError(f"{role}.{BLOCK}.MessageFormat",
                              f"expected one of {', '.join(FORMATS)}, got "
                              f"{block.get('MessageFormat')!r}")
    name, region = _stream(role, block.get("StreamArn"))
    flags = {key: _flag(role, key, block[key]) for key in FLAGS if key in block}
    return KinesisSettings(
        stream=name, stream_region=region, message_format=fmt,
        include_null_and_empty=flags.get("IncludeNullAndEmpty", False),
        include_partition_value=flags.get("IncludePartitionValue", False),
        partition_include_schema_table=flags.get("PartitionIncludeSchemaTable", False),
        no_hex_prefix=flags.get("NoHexPrefix", False),
        include_transaction_details=flags.get("IncludeTransactionDetails", False),
        include_table_alter_operations=flags.get("IncludeTableAlterOperations", False),
        include_control_details=flags.get("IncludeControlDetails", False))
