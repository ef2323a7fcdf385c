"""Which columns are compared, as which value kind, with which key."""

from __future__ import annotations

from sparkdms.catalog import Column, Index, Table
from sparkdms.plan import ColumnPlan, TablePlan
from sparkdms.types import LType
from sparkdms.validate.columns import Options, choose_key, table_columns


def col(name: str, lt: LType, nullable: bool = True) -> Column:
    return Column(name, str(lt), lt, nullable)


def plan(columns: list[tuple[Column | None, str, LType]], pk=("id",), indexes=()) -> TablePlan:
    src = Table("public", "t", tuple(c for c, _, _ in columns if c is not None), pk)
    cps = tuple(ColumnPlan(name, c, lt, str(lt), c.nullable if c else True,
                           expression=None if c else "'x'") for c, name, lt in columns)
    return TablePlan(src, "dst", "t", cps, primary_key=pk, indexes=indexes)


ID = col("id", LType("int64"), False)


def target(*cols: tuple[str, LType]) -> Table:
    return Table("dst", "t", tuple(col(n, lt) for n, lt in cols))


def test_families_digits_and_renames():
    p = plan([(ID, "id", LType("int64")),
              (col("price", LType("decimal", precision=12, scale=4)), "amount",
               LType("decimal", precision=12, scale=2)),
              (col("r", LType("float32")), "r", LType("float64")),
              (col("at", LType("timestamp", precision=6)), "at", LType("timestamp", precision=6)),
              (col("code", LType("char", length=5)), "code", LType("varchar", length=5)),
              (None, "added", LType("text"))])
    t = target(("id", LType("int64")), ("amount", LType("decimal", precision=12, scale=2)),
               ("r", LType("float64")), ("at", LType("timestamp", precision=3)),
               ("code", LType("varchar", length=5)), ("added", LType("text")))
    cols = table_columns(p, t, Options())
    by = {c.name: c for c in cols.columns}
    assert by["amount"].source == "price" and by["amount"].value_kind == "dec" and by["amount"].scale == 2
    assert by["r"].value_kind == "float" and by["r"].digits == 7  # a real on one side: 7 digits
    assert by["at"].digits == 3  # the fewer fractional digits of the two sides
    assert by["code"].value_kind == "char" and by["code"].trim  # char(n) on the source: no padding
    assert by["added"].source is None and by["added"].expression == "'x'"
    assert cols.key == ["id"] and cols.key_source == "primary key" and not cols.schema_problems


def test_missing_and_extra_target_columns_are_schema_problems():
    p = plan([(ID, "id", LType("int64")), (col("a", LType("text")), "a", LType("text"))])
    cols = table_columns(p, target(("id", LType("int64")), ("zz", LType("text"))), Options())
    assert [c.name for c in cols.columns] == ["id"]
    assert cols.schema_problems == ["column a is missing on the target",
                                    "column zz on the target is not in the plan"]


def test_options():
    p = plan([(ID, "id", LType("int64")), (col("doc", LType("text")), "doc", LType("text")),
              (col("v", LType("varchar", length=9)), "v", LType("varchar", length=9))])
    t = target(("id", LType("int64")), ("doc", LType("text")), ("v", LType("varchar", length=9)))
    cols = table_columns(p, t, Options(handle_collation_diff=True, skip_lobs=True, empty_is_null=True))
    assert [c.name for c in cols.columns] == ["id", "v"]
    assert cols.skipped == ["doc: LOB column (SkipLobColumns)"]
    v = cols.spec("v")
    assert v.trim and v.empty_is_null
    plain = table_columns(p, t, Options()).spec("v")
    assert not plain.trim and not plain.empty_is_null


def test_key_falls_back_to_a_unique_not_null_index():
    email = col("email", LType("varchar", length=99), False)
    nick = col("nick", LType("varchar", length=99), True)
    cols = [(email, "email", email.ltype), (nick, "nick", nick.ltype)]
    assert choose_key(plan(cols, pk=(), indexes=(Index("u_email", ("email",), True),))) == (
        ["email"], "unique index u_email")
    assert choose_key(plan(cols, pk=(), indexes=(Index("u_nick", ("nick",), True),))) == ([], "")
    assert choose_key(plan(cols, pk=(), indexes=(Index("i", ("email",), False),))) == ([], "")


def test_values_computed_at_load_time_are_not_compared():
    p = plan([(ID, "id", LType("int64")), (None, "loaded_at", LType("timestamp"))])
    p = TablePlan(p.source, p.target_schema, p.target_name,
                  (p.columns[0], ColumnPlan("loaded_at", None, LType("timestamp"), "timestamp",
                                            expression="current_timestamp()")), ("id",))
    cols = table_columns(p, target(("id", LType("int64")), ("loaded_at", LType("timestamp"))),
                         Options())
    assert [c.name for c in cols.columns] == ["id"]
    assert cols.skipped == ["loaded_at: computed at load time (current_timestamp())"]
