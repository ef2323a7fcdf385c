"""Type tables as tables of cases: a native type on one engine in, the DDL type the
other engine gets out (through the logical type in the middle)."""

from __future__ import annotations

import pytest

from sparkdms.plan.typemap import dialect
from sparkdms.registry import specs
from sparkdms.types import KINDS, LType, parse_native, spark_type


def convert(source: str, native: str, target: str) -> str:
    return dialect(target).to_native(dialect(source).to_logical(native))


MYSQL_TO_POSTGRES = [
    ("tinyint", "smallint"), ("tinyint(4)", "smallint"), ("tinyint unsigned", "smallint"),
    ("tinyint(1)", "boolean"), ("tinyint(1) unsigned", "smallint"), ("bool", "boolean"),
    ("smallint", "smallint"), ("smallint(5) unsigned", "integer"), ("mediumint", "integer"),
    ("mediumint unsigned", "integer"), ("int(11)", "integer"), ("int(10) unsigned", "bigint"),
    ("int unsigned zerofill", "bigint"), ("bigint(20)", "bigint"),
    ("bigint(20) unsigned", "numeric(20,0)"), ("serial", "numeric(20,0)"),
    ("decimal(12,2)", "numeric(12,2)"), ("decimal(65,30)", "numeric(65,30)"),
    ("decimal(10)", "numeric(10,0)"), ("decimal(10,2) unsigned", "numeric(10,2)"),
    ("float", "real"), ("float(10,2)", "real"), ("float(30)", "double precision"),
    ("double", "double precision"), ("double(10,3)", "double precision"),
    ("real", "double precision"),
    ("bit(1)", "bit(1)"), ("bit(10)", "bit(10)"), ("bit(64)", "bit(64)"),
    ("char(10)", "character(10)"), ("char(0)", "character(1)"), ("varchar(255)",
                                                                   "character varying(255)"),
    ("tinytext", "text"), ("text", "text"), ("mediumtext", "text"), ("longtext", "text"),
    ("binary(16)", "bytea"), ("varbinary(255)", "bytea"), ("tinyblob", "bytea"),
    ("blob", "bytea"), ("mediumblob", "bytea"), ("longblob", "bytea"),
    ("date", "date"), ("datetime", "timestamp(0)"), ("datetime(3)", "timestamp(3)"),
    ("datetime(6)", "timestamp"), ("timestamp", "timestamptz(0)"),
    ("timestamp(6)", "timestamptz"), ("time", "time(0)"), ("time(2)", "time(2)"),
    ("time(6)", "time"), ("year", "smallint"), ("year(4)", "smallint"), ("json", "jsonb"),
    ("enum('a','b c','it''s')", "character varying(4)"), ("set('x','yy')", "character varying(4)"),
    ("uuid", "uuid"), ("inet4", "inet"), ("inet6", "inet"),
    ("geometry", "bytea"), ("point", "bytea"), ("linestring", "bytea"), ("polygon", "bytea"),
    ("multipoint", "bytea"), ("multipolygon", "bytea"), ("geometrycollection", "bytea"),
    ("varchar(20) CHARACTER SET latin1", "character varying(20)"),
]

POSTGRES_TO_MYSQL = [
    ("smallint", "smallint"), ("integer", "int"), ("bigint", "bigint"), ("oid", "int unsigned"),
    ("numeric(12,2)", "decimal(12,2)"), ("numeric", "decimal(65,30)"),
    ("numeric(70,10)", "decimal(65,10)"), ("numeric(40,35)", "decimal(40,30)"),
    ("real", "float"), ("double precision", "double"), ("money", "decimal(19,4)"),
    ("character varying(64)", "varchar(64)"), ("character varying", "longtext"),
    ("character varying(20000)", "longtext"), ("character(5)", "char(5)"),
    ("character(300)", "varchar(300)"), ('"char"', "char(1)"), ("name", "varchar(63)"),
    ("text", "longtext"), ("citext", "longtext COLLATE utf8mb4_unicode_ci"),
    ("bytea", "longblob"), ("boolean", "tinyint(1)"), ("date", "date"),
    ("time without time zone", "time(6)"), ("time(3) without time zone", "time(3)"),
    ("time with time zone", "varchar(32)"), ("timestamp without time zone", "datetime(6)"),
    ("timestamp(0) without time zone", "datetime"), ("timestamp(3) with time zone",
                                                    "datetime(3)"),
    ("timestamp with time zone", "datetime(6)"), ("interval", "varchar(64)"),
    ("interval year to month", "varchar(64)"), ("json", "json"), ("jsonb", "json"),
    ("uuid", "char(36)"), ("xml", "longtext"), ("inet", "varchar(43)"),
    ("cidr", "varchar(43)"), ("macaddr", "varchar(43)"), ("bit(8)", "bit(8)"),
    ("bit(100)", "varchar(100)"), ("bit varying(8)", "varchar(8)"), ("integer[]", "json"),
    ("text[]", "json"), ("character varying(10)[][]", "json"), ("tsvector", "longtext"),
    ("point", "longtext"), ("int4range", "longtext"), ("hstore", "json"),
    ("geometry(Point,4326)", "longblob"),
]

SQLITE_TO_POSTGRES = [
    ("INTEGER", "bigint"), ("INT", "bigint"), ("TINYINT", "smallint"),
    ("BIGINT UNSIGNED", "bigint"), ("TEXT", "text"), ("VARCHAR(20)", "character varying(20)"),
    ("VARYING CHARACTER(20)", "character varying(20)"), ("NCHAR(2)", "character(2)"),
    ("CLOB", "text"), ("REAL", "double precision"), ("DOUBLE", "double precision"),
    ("NUMERIC", "numeric"), ("DECIMAL(10,2)", "numeric(10,2)"), ("BOOLEAN", "boolean"),
    ("DATETIME", "timestamp"), ("DATE", "date"), ("BLOB", "bytea"), ("", "text"),
    ("JSON", "jsonb"), ("UUID", "uuid"),
    # SQLite's affinity rules for names its table does not know
    ("STRING", "numeric"), ("FLOATING POINT", "bigint"), ("MEDIUMCHAR(9)", "text"),
    ("DOUBLE-ISH", "double precision"), ("MONEYBLOB", "bytea"),
]

POSTGRES_TO_SQLITE = [
    ("integer", "INTEGER"), ("numeric(10,2)", "DECIMAL(10,2)"), ("numeric", "DECIMAL_TEXT"),
    ("numeric(30,10)", "DECIMAL_TEXT(30,10)"), ("numeric(15,4)", "DECIMAL(15,4)"),
    ("text", "TEXT"), ("citext", "TEXT COLLATE NOCASE"), ("bytea", "BLOB"),
    ("timestamp with time zone", "DATETIME"), ("uuid", "VARCHAR(36)"), ("jsonb", "JSON"),
    ("integer[]", "JSON"), ("boolean", "BOOLEAN"),
]

OTHER_PAIRS = [
    ("postgres", "text", "sqlserver", "nvarchar(max)"),
    ("postgres", "character varying(10)", "sqlserver", "nvarchar(10)"),
    ("postgres", "timestamp with time zone", "sqlserver", "datetimeoffset(6)"),
    ("postgres", "uuid", "sqlserver", "uniqueidentifier"),
    ("postgres", "boolean", "sqlserver", "bit"), ("postgres", "bytea", "sqlserver",
                                                  "varbinary(max)"),
    ("postgres", "numeric", "sqlserver", "decimal(38,10)"),
    ("mysql", "tinyint unsigned", "sqlserver", "tinyint"),
    ("mysql", "int", "oracle", "NUMBER(10)"), ("mysql", "varchar(100)", "oracle",
                                              "VARCHAR2(100 CHAR)"),
    ("mysql", "datetime(6)", "oracle", "TIMESTAMP(6)"), ("mysql", "text", "oracle", "CLOB"),
    ("mysql", "bigint unsigned", "oracle", "NUMBER(20)"),
    ("mysql", "decimal(12,2)", "oracle", "NUMBER(12,2)"),
    ("mysql", "double", "oracle", "BINARY_DOUBLE"), ("mysql", "longblob", "oracle", "BLOB"),
    ("postgres", "numeric(40,2)", "db2", "DECFLOAT(34)"), ("postgres", "text", "db2", "CLOB"),
    ("postgres", "numeric(12,2)", "db2", "DECIMAL(12,2)"),
    ("mysql", "json", "redshift", "super"), ("mysql", "text", "redshift",
                                             "character varying(65535)"),
    ("mysql", "longblob", "redshift", "varbyte(1024000)"),
    ("mysql", "bigint unsigned", "redshift", "numeric(20,0)"),
    ("mysql", "enum('a','bb')", "redshift", "character varying(2)"),
    ("postgres", "integer[]", "redshift", "super"), ("postgres", "numeric", "redshift",
                                                     "numeric(38,10)"),
    ("mysql", "int unsigned", "delta", "bigint"), ("mysql", "decimal(65,30)", "delta", "string"),
    ("mysql", "decimal(38,10)", "delta", "decimal(38,10)"),
    ("mysql", "datetime", "delta", "timestamp_ntz"), ("mysql", "timestamp", "delta",
                                                      "timestamp"),
    ("mysql", "json", "parquet", "string"), ("mysql", "bigint unsigned", "delta",
                                             "decimal(20,0)"),
    ("oracle", "NUMBER(10,2)", "postgres", "numeric(10,2)"),
    ("oracle", "NUMBER", "postgres", "numeric"), ("oracle", "DATE", "postgres", "timestamp(0)"),
    ("oracle", "VARCHAR2(100 CHAR)", "postgres", "character varying(100)"),
    ("oracle", "TIMESTAMP(9) WITH TIME ZONE", "postgres", "timestamptz"),
    ("oracle", "INTERVAL DAY(2) TO SECOND(6)", "postgres", "interval"),
    ("oracle", "RAW(16)", "postgres", "bytea"), ("oracle", "BINARY_FLOAT", "postgres", "real"),
    ("sqlserver", "datetime2(7)", "postgres", "timestamp"),
    ("sqlserver", "datetime", "postgres", "timestamp(3)"),
    ("sqlserver", "uniqueidentifier", "postgres", "uuid"),
    ("sqlserver", "nvarchar(max)", "postgres", "text"), ("sqlserver", "bit", "postgres",
                                                         "boolean"),
    ("sqlserver", "tinyint", "postgres", "smallint"),
    ("sqlserver", "money", "postgres", "numeric(19,4)"),
    ("sqlserver", "datetimeoffset(7)", "postgres", "timestamptz"),
    ("sqlserver", "rowversion", "postgres", "bytea"),
    ("db2", "CHAR(16) FOR BIT DATA", "mysql", "binary(16)"),
    ("db2", "DECFLOAT(34)", "mysql", "decimal(65,30)"),
    ("db2", "TIMESTAMP(12)", "mysql", "datetime(6)"), ("db2", "CLOB(1M)", "mysql", "longtext"),
    ("redshift", "super", "postgres", "jsonb"),
    ("redshift", "character varying(256)", "mysql", "varchar(256)"),
]


@pytest.mark.parametrize(("native", "expected"), MYSQL_TO_POSTGRES)
def test_mysql_to_postgres(native: str, expected: str) -> None:
    assert convert("mysql", native, "postgres") == expected


@pytest.mark.parametrize(("native", "expected"), MYSQL_TO_POSTGRES)
def test_mariadb_shares_mysql_tables(native: str, expected: str) -> None:
    assert convert("mariadb", native, "postgres") == expected


@pytest.mark.parametrize(("native", "expected"), POSTGRES_TO_MYSQL)
def test_postgres_to_mysql(native: str, expected: str) -> None:
    assert convert("postgres", native, "mariadb") == expected


@pytest.mark.parametrize(("native", "expected"), SQLITE_TO_POSTGRES)
def test_sqlite_to_postgres(native: str, expected: str) -> None:
    assert convert("sqlite", native, "postgres") == expected


@pytest.mark.parametrize(("native", "expected"), POSTGRES_TO_SQLITE)
def test_postgres_to_sqlite(native: str, expected: str) -> None:
    assert convert("postgres", native, "sqlite") == expected


@pytest.mark.parametrize(("source", "native", "target", "expected"), OTHER_PAIRS)
def test_other_pairs(source: str, native: str, target: str, expected: str) -> None:
    assert convert(source, native, target) == expected


ROUND_TRIPS = {
    "postgres": ["smallint", "integer", "bigint", "numeric(12,2)", "numeric", "real",
                 "double precision", "character varying(10)", "character(3)", "text", "citext",
                 "bytea", "boolean", "date", "time", "time(3)", "timetz", "timestamp",
                 "timestamp(3)", "timestamptz", "interval", "jsonb", "uuid", "xml", "inet",
                 "bit(3)", "bit varying(5)", "integer[]"],
    "mysql": ["tinyint", "smallint", "int", "bigint", "bigint unsigned", "int unsigned",
              "decimal(12,2)", "float", "double", "char(3)", "varchar(10)", "tinytext", "text",
              "mediumtext", "longtext", "binary(4)", "varbinary(8)", "blob", "longblob", "date",
              "datetime", "datetime(6)", "time(3)", "year", "json", "enum('a','b')",
              "set('a','b')", "bit(5)", "tinyint(1)"],
}


@pytest.mark.parametrize(("engine", "native"),
                         [(e, n) for e, names in ROUND_TRIPS.items() for n in names])
def test_same_engine_round_trip_keeps_the_logical_type(engine: str, native: str) -> None:
    d = dialect(engine)
    ltype = d.to_logical(native)
    assert d.to_logical(d.to_native(ltype)) == ltype


@pytest.mark.parametrize("engine", sorted(specs()))
def test_every_kind_but_unknown_has_a_target_type(engine: str) -> None:
    d = dialect(engine)
    assert [k for k in KINDS if k not in d.logical] == ["unknown"]


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "unknown"])
def test_spark_table_agrees_with_spark_type(kind: str) -> None:
    samples = {"decimal": LType("decimal", precision=12, scale=2), "char": LType("char", 3),
               "array": LType("array", element=LType("int32"))}
    t = samples.get(kind, LType(kind))
    assert dialect("delta").to_native(t) == spark_type(t).simpleString()  # type: ignore


PARSED = [
    ("numeric(12, 2)", "numeric", ("12", "2"), 0, ""),
    ("timestamp(3) with time zone", "timestamp", ("3",), 0, "with time zone"),
    ("enum('a','it''s','x,y', 'b c', '')", "enum", ("a", "it's", "x,y", "b c", ""), 0, ""),
    ("int(10) unsigned zerofill", "int", ("10",), 0, "unsigned zerofill"),
    ("character varying(10)[]", "character varying", ("10",), 1, ""),
    ("integer[][]", "integer", (), 2, ""), ("VARCHAR2(100 BYTE)", "varchar2", ("100 BYTE",), 0, ""),
    ("CHARACTER(10) FOR BIT DATA", "character", ("10",), 0, "for bit data"),
    ("double precision", "double precision", (), 0, ""),
    ("longtext COLLATE utf8mb4_unicode_ci", "longtext", (), 0, ""),
]


@pytest.mark.parametrize(("text", "name", "args", "dims", "suffix"), PARSED)
def test_parse_native(text: str, name: str, args: tuple, dims: int, suffix: str) -> None:
    n = parse_native(text)
    assert (n.name, n.args, n.array_dims, n.suffix) == (name, args, dims, suffix)


def test_int_arg_understands_sizes() -> None:
    assert parse_native("CLOB(1M)").int_arg(0) == 1024 * 1024
    assert parse_native("varchar(max)").int_arg(0) is None


def test_unmapped_native_type_is_unknown_not_an_error() -> None:
    t = dialect("postgres").to_logical("tsquery_of_my_own")
    assert t.kind == "unknown" and t.native == "tsquery_of_my_own"
    assert str(t) == "unknown(tsquery_of_my_own)"
