"""PostgreSQL's validation hooks: the canonical text of each value kind in PostgreSQL's
SQL (see ``sparkdms/validate/canon.py``), the session validation queries run in, AWS DMS's
failures table in PostgreSQL types, and great-expectations through SQLAlchemy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparkdms.connectors.sql.validation import (
    ConnectorSql,
    FailuresTable,
    SqlAlchemyTarget,
    sqlalchemy_type,
    sqlalchemy_url,
)

from sparkdms.types import LType, parse_native
from sparkdms.validate.canon import BIN_INLINE, BIN_KINDS, INT_KINDS, TEXT_KINDS, Renderer
from sparkdms.validate.columns import ColumnSpec

if TYPE_CHECKING:
    from sparkdms.connectors.postgres.connector import PostgresConnector

    from sparkdms.task.settings import Settings

# UTC and ISO renderings; no JIT (compiling the long expressions costs more than it saves)
# and hash aggregation (the planner expects as many groups as rows)
SESSION = ("SET TIME ZONE 'UTC'", "SET datestyle TO ISO, YMD", "SET intervalstyle TO postgres",
           "SET extra_float_digits TO 1", "SET bytea_output TO hex", "SET jit TO off",
           "SET enable_sort TO off")
# sources whose JSON text compares with PostgreSQL's jsonb text in SQL
JSON_PEERS = frozenset({"postgres"})
# AWS DMS's failures-table column types (TEXT where AWS has TEXT/VARCHAR(7800))
FAILURE_COLUMN_TYPES = ("varchar(128)", "varchar(128)", "varchar(128)", "timestamp(3)",
                        "varchar(128)", "text", "varchar(128)", "text")
SQLALCHEMY_DRIVER = "postgresql+psycopg"


class PostgresRenderer(Renderer):
    name = "postgres"

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS text)"

    def length(self, expr: str) -> str:
        return f"length({expr})"

    def concat(self, parts: list[str]) -> str:
        return "(" + " || ".join(parts) + ")"

    def rtrim(self, expr: str) -> str:
        return f"rtrim({expr}, ' ')"

    def hash60(self, text: str) -> str:
        return f"CAST(CAST('x' || substr(md5({text}), 1, 15) AS bit(60)) AS bigint)"

    def fast_hash(self, text: str) -> str:
        """64-bit hash for PostgreSQL on both sides: about twice as fast as md5, and stable
        across versions (hash partitioning relies on it)."""
        return f"hashtextextended({text}, 0)"

    # hash_record_extended hashes each value with its type's extended hash function, the one
    # hash partitioning keeps stable across versions: numeric ignores trailing zeros (as the
    # canonical text does), char ignores trailing spaces; float, json and bit stay canonical
    native_kinds = frozenset({"int", "dec", "bool", "str", "char", "date", "ts", "time", "uuid",
                              "bin"})

    def native_row_hash(self, parts: list[str]) -> str | None:
        return f"hash_record_extended(ROW({', '.join(parts)}), 0)"

    def intdiv(self, a: str, b: str) -> str:
        return f"({a} / {b})"

    def float_parts(self, ref: str) -> tuple[str, str, str, list[tuple[str, str]]]:
        x = f"CAST({ref} AS float8)"
        return x, "log", "power", [(f"{x} = 'NaN'", "NaN"), (f"{x} = 'Infinity'", "Inf"),
                                   (f"{x} = '-Infinity'", "-Inf")]

    def bigint_text(self, expr: str) -> str:
        return f"CAST(CAST({expr} AS bigint) AS text)"

    def r_dec(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind in INT_KINDS:
            return self.text(ref)
        if phys.kind not in ("decimal", "money", *TEXT_KINDS):
            return None
        value = f"CAST({ref} AS numeric)"
        if side == "source" and spec.scale is not None:
            value = f"round({value}, {spec.scale})"
        return self.text(f"trim_scale({value})")

    def r_bin(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind not in BIN_KINDS:
            return None
        return (f"CASE WHEN octet_length({ref}) > {BIN_INLINE} THEN 'md5:' || md5({ref}) || ':' "
                f"|| CAST(octet_length({ref}) AS text) ELSE encode({ref}, 'hex') END")

    def r_date(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return f"to_char({ref}, 'YYYY-MM-DD')" if phys.kind == "date" else None

    def r_ts(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind not in ("timestamp", "timestamptz"):
            return None
        return self.cut(f"to_char({ref}, 'YYYY-MM-DD HH24:MI:SS.US')", 19, spec.digits)

    def r_time(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind != "time":
            return None
        return self.cut(f"to_char(DATE '2000-01-01' + {ref}, 'HH24:MI:SS.US')", 8, spec.digits)

    def r_json(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return self.text(ref) if phys.kind in TEXT_KINDS else None

    def r_uuid(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return self.text(ref) if phys.kind == "uuid" else super().r_uuid(spec, ref, phys, side)


# hash_record_extended exists from PostgreSQL 14; text is hashed as bytes, so two servers
# hash a stored text alike only in the same encoding
NATIVE_HASH_SQL = ("SELECT current_setting('server_version_num')::int >= 140000, "
                   "current_setting('server_encoding')")


def native_hash_key(row: tuple[Any, ...]) -> str | None:
    supported, encoding = row
    return f"postgres hash_record_extended {encoding}" if supported else None


def sql_validation(connector: PostgresConnector) -> ConnectorSql:
    return ConnectorSql(connector, PostgresRenderer, SESSION, JSON_PEERS,
                        native_hash=(NATIVE_HASH_SQL, native_hash_key))


def failure_store(connector: PostgresConnector, settings: Settings) -> FailuresTable:
    return FailuresTable(connector, settings, FAILURE_COLUMN_TYPES)


def expectations_sql(connector: PostgresConnector) -> SqlAlchemyTarget | None:
    url = sqlalchemy_url(connector, SQLALCHEMY_DRIVER)
    return None if url is None else SqlAlchemyTarget(url, reflected_type)


def reflected_type(native: str) -> str | None:
    """The type as great-expectations compares it on PostgreSQL: SQLAlchemy's rendered type
    (``TIMESTAMP(3) WITHOUT TIME ZONE``, ``TEXT[]``), which it compares as text. ``native``
    is what ``format_type()`` prints (an array is its element type and one ``[]``)."""
    from sqlalchemy.dialects.postgresql import ARRAY, base

    parsed = parse_native(native.lower())
    made = sqlalchemy_type(base, native, timestamp)
    if made is None:
        return None
    if parsed.name in VARYING:  # bit varying(n): BIT(n, varying=True)
        made = type(made)(*parsed_length(parsed), varying=True)
    if parsed.array_dims:  # SQLAlchemy reflects every array as one-dimensional
        made = ARRAY(made)
    return str(made.compile(dialect=base.dialect()))


VARYING = ("bit varying", "varbit")


def parsed_length(parsed: Any) -> list[int]:
    return [int(a) for a in parsed.args if a.strip().isdigit()]


def timestamp(cls: type, tz: bool, precision: int | None) -> Any:
    return cls(timezone=tz, precision=precision)
