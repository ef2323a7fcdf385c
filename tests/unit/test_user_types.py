"""DDL for PostgreSQL user types (enum, domain, composite) and GENERATED ALWAYS identity:
created as they are on a PostgreSQL target (in the target schema), converted on MariaDB and
SQLite (base type plus CHECKs, member checks, what is lost as notes)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sparkdms.connectors.postgres import usertypes as pgu
from sparkdms.connectors.sql.objects import object_statements
from sparkdms.connectors.sql.objects.usertypes import value_as_column

from sparkdms.catalog import Check, Column, Table, TypeUse, UserType
from sparkdms.errors import SparkDmsError
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.plan.typemap import dialect
from sparkdms.task.settings import Settings
from sparkdms.types import LType
from tests.unit.test_types_objects import target

MOOD = UserType("shop", "mood", "enum", labels=("sad", "ok", "it's"))
POSINT = UserType("shop", "posint", "domain", base=TypeUse("integer"), not_null=True,
                  default="1", checks=(Check("posint_check", "((VALUE > 0))"),))
GLAD = UserType("shop", "glad", "domain", base=TypeUse("shop.mood", ("shop", "mood")),
                checks=(Check("glad_check", "((VALUE <> 'sad'::shop.mood))"),))
ODD = UserType("shop", "odd", "domain", base=TypeUse("date"),
               checks=(Check("odd_check", "(isfinite(VALUE))"),))
PAIR = UserType("shop", "pair", "composite",
                attributes=(("x", TypeUse("integer")), ("m", TypeUse("shop.mood", ("shop", "mood")))))
TYPES = (MOOD, POSINT, GLAD, ODD, PAIR)

ENUM = LType("enum", length=5, values=MOOD.labels)

# name, native type on the source, logical type, its user type, target type off PostgreSQL
COLUMNS = [
    ("id", "integer", LType("int32"), None, None),
    ("feel", "shop.mood", ENUM, ("shop", "mood"), None),
    ("feels", "shop.mood[]", LType("array", element=ENUM), ("shop", "mood"), "json"),
    ("qty", "shop.posint", LType("int32"), ("shop", "posint"), "int"),
    ("g", "shop.glad", ENUM, ("shop", "glad"), None),
    ("d", "shop.odd", LType("date"), ("shop", "odd"), "date"),
    ("p", "shop.pair", LType("document"), ("shop", "pair"), "json"),
]


def things(target_engine: str, target_schema: str = "store") -> TablePlan:
    cols, plans = [], []
    for name, native, ltype, user, other in COLUMNS:
        col = Column(name, native, ltype, name != "id", "'ok'::shop.mood" if name == "feel"
                     else None, identity=name == "id", identity_always=name == "id",
                     user_type=user)
        cols.append(col)
        same = target_engine == "postgres"
        ttype = native if same else other or dialect(target_engine).to_native(ltype)
        plans.append(ColumnPlan(name, col, ltype, ttype, col.nullable))
    src = Table("shop", "things", tuple(cols), ("id",), engine="postgres", user_types=TYPES)
    return TablePlan(src, target_schema, "things", tuple(plans), ("id",))


def test_postgres_target_creates_the_types_first_in_the_target_schema() -> None:
    c = target("postgres")
    assert pgu.type_ddl(c, [things("postgres")]) == [
        "CREATE TYPE \"store\".\"mood\" AS ENUM ('sad', 'ok', 'it''s')",
        'CREATE DOMAIN "store"."glad" AS "store"."mood" CONSTRAINT "glad_check" '
        "CHECK ((VALUE <> 'sad'::\"store\".\"mood\"))",
        'CREATE DOMAIN "store"."odd" AS date CONSTRAINT "odd_check" CHECK (isfinite(VALUE))',
        'CREATE TYPE "store"."pair" AS ("x" integer, "m" "store"."mood")',
        'CREATE DOMAIN "store"."posint" AS integer DEFAULT 1 NOT NULL CONSTRAINT "posint_check" '
        "CHECK ((VALUE > 0))",
    ]
    ddl = c.create_table_sql(things("postgres"), "things", with_pk=True)
    assert '"feels" "store"."mood"[]' in ddl and '"p" "store"."pair"' in ddl
    assert '"qty" "store"."posint"' in ddl


def test_a_type_overridden_away_is_not_created() -> None:
    tp = things("postgres")
    cols = tuple(replace(c, target_type="text") if c.target_name in ("p", "g") else c
                 for c in tp.columns)
    names = [sql.split(" AS ")[0] for sql in pgu.type_ddl(target("postgres"),
                                                           [replace(tp, columns=cols)])]
    assert names == ['CREATE TYPE "store"."mood"', 'CREATE DOMAIN "store"."odd"',
                     'CREATE DOMAIN "store"."posint"']


def test_two_different_types_for_one_target_name_are_refused() -> None:
    tp = things("postgres")
    crm = ("crm", "mood")
    cols = tuple(replace(c, source=replace(c.source, user_type=crm)) for c in tp.columns
                 if c.target_name == "feel")
    other = replace(tp, columns=cols, source=replace(
        tp.source, schema="crm", user_types=(replace(MOOD, schema="crm", labels=("a",)),)))
    with pytest.raises(SparkDmsError, match=r"crm\.mood differ but would both be created"):
        pgu.type_ddl(target("postgres"), [things("postgres"), other])


@pytest.mark.parametrize(("have", "same"), [
    (replace(MOOD, schema="store"), True),
    (replace(MOOD, schema="store", labels=("sad", "ok", "it's", "new")), False),
    (replace(GLAD, schema="store", base=TypeUse("mood", ("store", "mood")),
             checks=(Check("glad_check", "((VALUE <> 'sad'::mood))"),)), True),
    (replace(POSINT, schema="store", default="2"), False),
])
def test_an_existing_type_matches_when_only_its_schema_differs(have: UserType,
                                                              same: bool) -> None:
    c = target("postgres")
    source = next(u for u in TYPES if u.name == have.name)
    there = [replace(MOOD, schema="store"), have]
    assert (pgu._signature(c, have, there) == pgu._signature(c, source, TYPES)) is same


def test_identity_always_is_kept_and_rows_keep_their_ids() -> None:
    tp = things("postgres")
    sql = [q for st in object_statements(target("postgres"), [tp], Settings.parse(None))
           if st.stage == "identity" for q in st.sql]
    assert sql[0] == 'ALTER TABLE "store"."things" ALTER COLUMN "id" ADD GENERATED ALWAYS AS IDENTITY'
    merge = target("postgres").merge_sql(tp, "things__sdms_x", truncate=True)
    assert merge[1].startswith('INSERT INTO "store"."things" ("id", "feel", "feels", "qty", "g", '
                               '"d", "p") OVERRIDING SYSTEM VALUE SELECT "id"')
    assert merge[2].startswith("SELECT setval(pg_get_serial_sequence('\"store\".\"things\"', "
                               "'id'), CAST(COALESCE(MAX(\"id\"), 0) AS bigint) + 1, false)")
    assert merge[-1] == 'DROP TABLE "store"."things__sdms_x"'


def test_direct_copy_only_without_oids_in_the_binary_form() -> None:
    tp = things("postgres")
    assert not pgu.direct_copy_safe(tp)
    plain = replace(tp, columns=tuple(c for c in tp.columns if c.target_name in ("id", "feel",
                                                                                 "qty", "g")))
    assert pgu.direct_copy_safe(plain)


def test_mariadb_target_gets_base_types_with_their_checks_and_defaults() -> None:
    got = object_statements(target("mariadb"), [things("mariadb", "d")], Settings.parse(None))
    sql = [q for st in got for q in st.sql]
    notes = {(st.stage, st.name): st.note for st in got if not st.sql}
    assert "ALTER TABLE `d`.`things` ADD CONSTRAINT `things_qty_posint_check` CHECK (`qty` > 0)" \
        in sql
    assert ("ALTER TABLE `d`.`things` ADD CONSTRAINT `things_qty_posint_not_null` CHECK (`qty` "
            "IS NOT NULL)") in sql
    assert "ALTER TABLE `d`.`things` ADD CONSTRAINT `things_g_glad_check` CHECK (`g` <> 'sad')" \
        in sql
    assert "ALTER TABLE `d`.`things` ALTER COLUMN `qty` SET DEFAULT 1" in sql
    assert "ALTER TABLE `d`.`things` ALTER COLUMN `feel` SET DEFAULT 'ok'" in sql
    assert "function isfinite has no known translation" in notes[("check", "d_odd_check")]
    assert notes[("type", "pair")].startswith("column p (composite pair) is json: the composite "
                                              "is stored as JSON, its attributes (x, m) as keys")
    assert notes[("type", "mood")].startswith("column feels (enum mood array) is json")
    assert not any(st.stage == "type" and st.name in ("posint", "glad") for st in got)


def test_sqlite_target_checks_enum_members_inside_the_table() -> None:
    c = target("sqlite")
    ddl = c.create_table_sql(things("sqlite", "main"), "things", with_pk=True)
    assert "\"feel\" TEXT CHECK (\"feel\" IN ('sad', 'ok', 'it''s'))" in ddl
    got = object_statements(c, [things("sqlite", "main")], Settings.parse(None))
    notes = {(st.stage, st.name): st.note for st in got if not st.sql}
    assert "cannot add checks" in notes[("check", "qty_posint_check")]


@pytest.mark.parametrize(("expr", "expected"), [
    ("((VALUE > 0))", '(("qty" > 0))'),
    ("((VALUE)::text ~~ '%VALUE%'::text)", "(CAST((\"qty\") AS TEXT) LIKE CAST('%VALUE%' AS TEXT))"),
    ("(char_length(VALUE) < \"value\")", '(LENGTH("qty") < "value")'),
])
def test_value_becomes_the_column(expr: str, expected: str) -> None:
    assert value_as_column(expr, "qty", "postgres") == expected
