"""``S3Settings``: AWS DMS's names, parsed and checked once (TaskConfigError names the key).

One table of (name -> parser, default); a key not in it is an error naming it. Values
may be written as YAML types or as AWS's strings (``"true"``, ``"1048576"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkdms.errors import TaskConfigError

if TYPE_CHECKING:
    from sparkdms.task import Endpoint

BLOCK = "S3Settings"
FORMATS = ("csv", "parquet", "delta")
COMPRESSION = {"csv": ("none", "gzip"), "parquet": ("none", "gzip", "snappy", "zstd"),
               "delta": ("none", "gzip", "snappy", "zstd")}
SEQUENCES = {"YYYYMMDD": ("%Y", "%m", "%d"), "YYYYMMDDHH": ("%Y", "%m", "%d", "%H"),
             "YYYYMM": ("%Y", "%m"), "MMYYYYDD": ("%m", "%Y", "%d"),
             "DDMMYYYY": ("%d", "%m", "%Y")}
DELIMITERS = {"SLASH": "/", "UNDERSCORE": "_", "DASH": "-", "NONE": ""}


def _text(v: Any) -> str:
    return str(v)


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if str(v).strip().lower() in ("true", "y", "yes", "1"):
        return True
    if str(v).strip().lower() in ("false", "n", "no", "0"):
        return False
    raise ValueError(f"expected true or false, got {v!r}")


def _int(v: Any) -> int:
    if isinstance(v, bool) or int(v) < 0:
        raise ValueError(f"expected a whole number >= 0, got {v!r}")
    return int(v)


def _one_of(choices: tuple[str, ...], fold: Callable[[str], str]) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        if fold(str(v)) not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {v!r}")
        return fold(str(v))

    return parse


def _document(v: Any) -> Any:
    return v if isinstance(v, Mapping) else str(v)


def _char(v: Any) -> str:
    text = str(v).encode().decode("unicode_escape") if "\\" in str(v) else str(v)
    if len(text) != 1:
        raise ValueError(f"expected one character, got {v!r}")
    return text


# AWS name -> (parser, default); attribute names are the snake_case of the AWS names
KEYS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "BucketName": (_text, None),
    "BucketFolder": (_text, ""),
    "DataFormat": (_one_of(FORMATS, str.lower), "csv"),
    "CompressionType": (_one_of(("none", "gzip", "snappy", "zstd"), str.lower), "none"),
    "DatePartitionEnabled": (_bool, False),
    "DatePartitionSequence": (_one_of(tuple(SEQUENCES), str.upper), "YYYYMMDD"),
    "DatePartitionDelimiter": (_one_of(tuple(DELIMITERS), str.upper), "SLASH"),
    "MaxFileSize": (_int, None),  # KB, as AWS; unset: one file per Spark partition
    "CsvDelimiter": (_char, ","),
    "CsvRowDelimiter": (_char, "\n"),
    "CsvNullValue": (_text, None),  # unset: NULL is an empty field, '' is ""
    "AddColumnName": (_bool, False),
    "IncludeOpForFullLoad": (_bool, False),
    "TimestampColumnName": (_text, ""),
    "ExternalTableDefinition": (_document, None),  # source: the JSON, inline or a path
    "IgnoreHeaderRows": (_int, 0),  # source: 1 skips a header line
}


@dataclass(frozen=True)
class S3Options:
    bucket_name: str
    bucket_folder: str = ""
    data_format: str = "csv"
    compression_type: str = "none"
    date_partition_enabled: bool = False
    date_partition_sequence: str = "YYYYMMDD"
    date_partition_delimiter: str = "SLASH"
    max_file_size: int | None = None
    csv_delimiter: str = ","
    csv_row_delimiter: str = "\n"
    csv_null_value: str | None = None
    add_column_name: bool = False
    include_op_for_full_load: bool = False
    timestamp_column_name: str = ""
    external_table_definition: str | Mapping[str, Any] | None = None
    ignore_header_rows: int = 0

    @property
    def folder(self) -> str:
        return self.bucket_folder.strip("/")


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def parse_settings(block: Mapping[str, Any], role: str) -> S3Options:
    """The ``S3Settings`` block checked: unknown keys, bad values, a missing bucket."""
    where = f"{role}.{BLOCK}"
    values: dict[str, Any] = {}
    for key, raw in block.items():
        if key not in KEYS:
            raise TaskConfigError(f"{where}.{key}", f"unknown S3 setting; known: {', '.join(KEYS)}")
        try:
            values[snake(key)] = KEYS[key][0](raw) if raw is not None else KEYS[key][1]
        except ValueError as err:
            raise TaskConfigError(f"{where}.{key}", str(err)) from None
    if not values.get("bucket_name"):
        raise TaskConfigError(f"{where}.BucketName", "missing; the S3 bucket to read or write")
    opts = S3Options(**values)
    allowed = COMPRESSION[opts.data_format]
    if opts.compression_type not in allowed:
        raise TaskConfigError(f"{where}.CompressionType",
                              f"{opts.compression_type!r} does not apply to DataFormat "
                              f"{opts.data_format}; use one of {', '.join(allowed)}")
    return opts


def options_of(endpoint: Endpoint) -> S3Options:
    from sparkdms.connectors.aws.session import settings_block

    return parse_settings(settings_block(endpoint, BLOCK), endpoint.role)
