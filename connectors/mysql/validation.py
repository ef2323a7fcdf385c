"""MySQL's and MariaDB's validation hooks: the canonical text of each value kind in their
SQL (see ``sparkdms/validate/canon.py``), the session validation queries run in, AWS DMS's
failures table in MySQL types, and great-expectations through SQLAlchemy (MariaDB's JSON
reflects as LONGTEXT)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sparkdms.connectors.sql.validation import (
    ConnectorSql,
    FailuresTable,
    SqlAlchemyTarget,
    sqlalchemy_type,
    sqlalchemy_url,
)

from sparkdms.types import LType
from sparkdms.validate.canon import BIN_INLINE, BIN_KINDS, INT_KINDS, TEXT_KINDS, Renderer
from sparkdms.validate.columns import ColumnSpec

if TYPE_CHECKING:
    from sparkdms.connectors.mysql.connector import MySQLConnector

    from sparkdms.task.settings import Settings

SESSION = ("SET time_zone = '+00:00'",)
# sources whose JSON text compares with the stored text in SQL: the load carries
# PostgreSQL's text into MariaDB/MySQL unchanged
JSON_PEERS = frozenset({"mysql", "postgres"})
# AWS DMS's failures-table column types (LONGTEXT where AWS has TEXT/VARCHAR(7800))
FAILURE_COLUMN_TYPES = ("varchar(128)", "varchar(128)", "varchar(128)", "datetime(3)",
                        "varchar(128)", "longtext", "varchar(128)", "longtext")
SQLALCHEMY_DRIVER = "mysql+pymysql"
# what an engine's catalog reports where it differs from the DDL it was given:
# MariaDB's JSON is LONGTEXT with a check
REFLECTS_AS: Mapping[str, Mapping[str, str]] = {"mariadb": {"json": "LONGTEXT"}}


class MySQLRenderer(Renderer):
    name = "mysql"
    int_type = "SIGNED"

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS CHAR)"

    def string(self, expr: str) -> str:
        # one charset and a binary collation, so CONCAT never meets a collation conflict
        return f"CONVERT({expr} USING utf8mb4) COLLATE utf8mb4_bin"

    def length(self, expr: str) -> str:
        return f"CHAR_LENGTH({expr})"

    def concat(self, parts: list[str]) -> str:
        return f"CONCAT({', '.join(parts)})"

    def rtrim(self, expr: str) -> str:
        return f"TRIM(TRAILING ' ' FROM {expr})"

    def hash60(self, text: str) -> str:
        return f"CAST(CONV(SUBSTR(MD5({text}), 1, 15), 16, 10) AS UNSIGNED)"

    def intdiv(self, a: str, b: str) -> str:
        return f"({a} DIV {b})"

    def float_parts(self, ref: str) -> tuple[str, str, str, list[tuple[str, str]]]:
        return f"({ref} + 0e0)", "LOG10", "POWER", []  # no NaN or infinity in MariaDB/MySQL

    def bigint_text(self, expr: str) -> str:
        return f"CAST(CAST({expr} AS SIGNED) AS CHAR)"

    def r_int(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind == "boolean":  # tinyint(1): the number as stored
            return self.text(ref)
        return super().r_int(spec, ref, phys, side)

    def r_dec(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind in INT_KINDS:
            return self.text(ref)
        if phys.kind in TEXT_KINDS and spec.scale is None:
            return self.strip_zeros(self.string(ref))
        if phys.kind != "decimal":
            return None
        value = ref if side != "source" or spec.scale is None else f"ROUND({ref}, {spec.scale})"
        return self.strip_zeros(self.text(value))

    @staticmethod
    def strip_zeros(s: str) -> str:
        return f"IF(LOCATE('.', {s}) > 0, TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM {s})), {s})"

    def r_bit(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind == "bit":
            return f"BIN({ref} + 0)"
        return super().r_bit(spec, ref, phys, side)

    def r_bin(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind not in BIN_KINDS:
            return None
        return (f"CASE WHEN LENGTH({ref}) > {BIN_INLINE} THEN CONCAT('md5:', MD5({ref}), ':', "
                f"LENGTH({ref})) ELSE LOWER(HEX({ref})) END")

    def r_date(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return f"DATE_FORMAT({ref}, '%Y-%m-%d')" if phys.kind == "date" else None

    def r_ts(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind not in ("timestamp", "timestamptz"):
            return None
        return self.cut(f"DATE_FORMAT({ref}, '%Y-%m-%d %H:%i:%s.%f')", 19, spec.digits)

    def r_time(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        if phys.kind != "time":
            return None
        return self.cut(f"TIME_FORMAT({ref}, '%H:%i:%s.%f')", 8, spec.digits)

    def r_json(self, spec: ColumnSpec, ref: str, phys: LType, side: str) -> str | None:
        return self.string(ref) if phys.kind in TEXT_KINDS else None


def sql_validation(connector: MySQLConnector) -> ConnectorSql:
    return ConnectorSql(connector, MySQLRenderer, SESSION, JSON_PEERS)


def failure_store(connector: MySQLConnector, settings: Settings) -> FailuresTable:
    return FailuresTable(connector, settings, FAILURE_COLUMN_TYPES)


def expectations_sql(connector: MySQLConnector) -> SqlAlchemyTarget | None:
    url = sqlalchemy_url(connector, SQLALCHEMY_DRIVER)
    if url is None:
        return None
    quirks = REFLECTS_AS.get(connector.engine, {})
    return SqlAlchemyTarget(url, lambda native: quirks.get(native.lower()) or reflected_type(native),
                            reflected_name)


def reflected_name(name: str) -> str:
    """A column name as SQLAlchemy's MySQL reflection reports it: it reads SHOW CREATE TABLE
    without undoing the doubled backtick (SQLAlchemy 2.1: `a``b` reflects as 'a``b')."""
    return name.replace("`", "``")


def reflected_type(native: str) -> str | None:
    """The type as great-expectations compares it on MySQL/MariaDB: the name of the
    SQLAlchemy type class the column reflects as (``DECIMAL``, ``DATETIME``)."""
    from sqlalchemy.dialects.mysql import base

    made = sqlalchemy_type(base, native)
    return None if made is None else type(made).__name__
