"""How one table is compared: which columns are checksummed in the databases' SQL and which
through Spark, whether key ranges, key hashes or whole rows bucket the rows, and the
canonical SQL each side computes.

A side is SQL when its engine gives a ``SqlValidation`` (``Source/Target.validation_sql``)
and every compared column renders there; otherwise Spark renders the same canonical text
on the side's DataFrame. JSON compares in SQL only when the target's engine says its text
equals the source engine's (``SqlValidation.json_peers``); else the key and the JSON
columns go through Spark, whose JSON text has sorted keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkdms.catalog import Table
from sparkdms.plan import TablePlan
from sparkdms.types import spark_type
from sparkdms.validate.canon import spark_ltype
from sparkdms.validate.columns import ColumnSpec, TableColumns
from sparkdms.validate.results import ValidationError
from sparkdms.validate.sides import SPARK, Side, SparkSide, SqlSide, render

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkdms.connectors.base import Connector, Source, SqlValidation

@dataclass(frozen=True)
class KeySet:
    """Only these rows (change data capture re-validates the keys a run changed): the
    table's primary key, target and source column names, and key values as the source
    gives them (bound as parameters, never pasted)."""

    target: tuple[str, ...]
    source: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]

    def sql(self, quote: Callable[[str], str], names: tuple[str, ...]) -> tuple[str, list[Any]]:
        """``k IN ({MARK}, ...)``, or an OR of key equalities; and the values in order."""
        if len(names) == 1:
            return (f"{quote(names[0])} IN ({', '.join(['{MARK}'] * len(self.values))})",
                    [v[0] for v in self.values])
        one = " AND ".join(f"{quote(n)} = {{MARK}}" for n in names)
        return (" OR ".join([f"({one})"] * len(self.values)),
                [x for v in self.values for x in v])

    def frame(self, frame: Any) -> Any:
        """``frame`` (target column names) restricted to the keys."""
        from functools import reduce

        from pyspark.sql import functions as F

        if len(self.target) == 1:
            return frame.where(F.col(self.target[0]).isin([v[0] for v in self.values]))
        ors = [reduce(lambda a, b: a & b, [F.col(n) == F.lit(x)
                                          for n, x in zip(self.target, v, strict=True)])
               for v in self.values]
        return frame.where(reduce(lambda a, b: a | b, ors))


RANGE_KINDS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint24", "uint32")


class Strategy:
    """The sides of one source and target; the engines' SQL hooks asked once."""

    def __init__(self, source: Source, target: Connector, spark: Callable[[], SparkSession]) -> None:
        self.source, self.target, self.spark = source, target, spark
        self.source_sql = source.validation_sql()
        self.target_sql = target.validation_sql() if target.capabilities.validates_in_sql else None

    def sql_of(self, target_table: Table | None) -> tuple[SqlValidation | None, SqlValidation | None]:
        """The SQL hooks of both sides; the target's only when it was discovered."""
        return self.source_sql, self.target_sql if target_table is not None else None

    def json_in_sql(self, sd: SqlValidation | None, td: SqlValidation | None) -> bool:
        return sd is not None and td is not None and self.source.dialect.family in td.json_peers

    def column_groups(self, cols: TableColumns,
                      target_table: Table | None) -> list[tuple[list[ColumnSpec], bool]]:
        """All columns at once; except JSON that the two databases cannot compare in SQL
        (PostgreSQL reorders keys, MariaDB keeps the text): then the other columns in SQL and
        the key plus the JSON columns through Spark, whose JSON text has sorted keys."""
        specs = cols.columns
        sd, td = self.sql_of(target_table)
        json = [s for s in specs if s.value_kind == "json" and s.name not in cols.key]
        if not json or not cols.key or sd is None or td is None or self.json_in_sql(sd, td):
            return [(specs, False)]
        rest = [s for s in specs if s not in json]
        keys = [s for s in specs if s.name in cols.key]
        return [(rest, False), (keys + json, True)]

    def sides(self, plan: TablePlan, cols: TableColumns, specs: list[ColumnSpec],
              target_table: Table | None, target_frame: Callable[[], Any],
              spark_only: bool = False, keys: KeySet | None = None) -> tuple[Side, Side, str]:
        sd, td = self.sql_of(target_table)
        if spark_only or (any(s.value_kind == "json" for s in specs) and not self.json_in_sql(sd, td)):
            sd = td = None
        src_values = sql_values(sd, specs, "source", plan) if sd else None
        tgt_values = sql_values(td, specs, "target") if td else None
        src_frame = None if src_values is not None else self.source_frame(plan)
        tgt_frame = None if tgt_values is not None else target_frame()
        if keys is not None:
            src_frame = keys.frame(src_frame) if src_frame is not None else None
            tgt_frame = keys.frame(tgt_frame) if tgt_frame is not None else None
        if src_frame is not None:
            src_values = spark_values(src_frame, specs, "source", plan)
        if tgt_frame is not None:
            tgt_values = spark_values(tgt_frame, specs, "target", plan)
        mode = key_mode(cols, [physical(specs, cols.key, "source", src_frame),
                               physical(specs, cols.key, "target", tgt_frame)])
        fast = src_frame is None and tgt_frame is None and sd is not None and td is not None \
            and sd.renderer.name == td.renderer.name
        stored = self.stored(plan, specs, target_table) if fast else [None] * len(specs)
        src = side("source", plan, specs, cols.key, mode, sd, src_values, src_frame, fast, keys,
                   [s.source if on else None for s, on in zip(specs, stored, strict=True)])
        tgt = side("target", plan, specs, cols.key, mode, td, tgt_values, tgt_frame, fast, keys,
                   [s.name if on else None for s, on in zip(specs, stored, strict=True)])
        return src, tgt, mode

    def stored(self, plan: TablePlan, specs: list[ColumnSpec],
               target_table: Table | None) -> list[bool]:
        """Per column: both sides hash its stored value as it is (``native_row_hash``): the
        two servers hash alike, the load read it as stored, both sides keep it in the same
        native type, and no option or rounding changes its canonical text."""
        sd, td = self.sql_of(target_table)
        if sd is None or td is None or target_table is None:
            return [False] * len(specs)
        key = sd.native_hash_key()
        if key is None or key != td.native_hash_key():
            return [False] * len(specs)
        return [stored_as_is(sd, plan, s, target_table) for s in specs]

    def source_frame(self, plan: TablePlan) -> Any:
        """The source table as the load reads and converts it."""
        from sparkdms.load.read import read_table
        from sparkdms.load.transform import to_target

        return to_target(read_table(self.spark(), self.source, plan).frame, plan)


def stored_as_is(sql: SqlValidation, plan: TablePlan, spec: ColumnSpec, target: Table) -> bool:
    if spec.value_kind not in sql.renderer.native_kinds or spec.source is None:
        return False
    if spec.trim or spec.empty_is_null or spec.scale is not None or spec.expression:
        return False
    source = next((c for c in plan.source.columns if c.name == spec.source), None)
    stored = next((c for c in target.columns if c.name == spec.name), None)
    if source is None or stored is None or sql.wire_form(source, plan.peer) is not None:
        return False
    return spelled(source.native_type) == spelled(stored.native_type)


def spelled(native: str) -> str:
    return " ".join(native.lower().split())


def side(role: str, plan: TablePlan, specs: list[ColumnSpec], key: list[str], mode: str,
         sql: SqlValidation | None, values: list[str] | None, frame: Any, fast: bool,
         keys: KeySet | None = None, stored: list[str | None] | None = None) -> Side:
    assert values is not None
    if frame is not None:
        key_ref = SPARK.quote(key[0]) if mode == "range" else None
        return SparkSide(role, frame, render(SPARK, specs, values, key, mode, key_ref))
    assert sql is not None
    if role == "source":
        table = sql.qualify(plan.source.schema, plan.source.name)
        key_name = next((s.source for s in specs if key and s.name == key[0]), None)
        conditions = [sql.filter_sql(f, plan.source) for f in plan.filters]
    else:
        table = sql.qualify(plan.target_schema, plan.target_name)
        key_name = key[0] if key else None
        conditions = []
    key_ref = sql.renderer.quote(key_name) if mode == "range" and key_name else None
    params: list[Any] = []
    if keys is not None:
        where, params = keys.sql(sql.renderer.quote, keys.source if role == "source"
                                 else keys.target)
        conditions = [*conditions, where]
    refs = [sql.renderer.quote(n) if n else None for n in stored or []]
    return SqlSide(role, sql, table, conditions,
                   render(sql.renderer, specs, values, key, mode, key_ref, fast, refs), params)


def wire_form(sql: SqlValidation, plan: TablePlan, spec: ColumnSpec) -> tuple[str, Any]:
    """The source column as the load reads it: where the source sends a converted value
    (arrays as JSON, intervals as ISO 8601, bit strings, zero dates as NULL, ...), that
    expression and its type; else the column itself."""
    plain = sql.renderer.quote(spec.source or spec.name)
    if spec.source is None:
        return plain, spec.source_type
    wire = sql.wire_form(plan.source.column(spec.source), plan.peer)
    if wire is None:
        return plain, spec.source_type
    expr, dtype = wire
    return f"({expr})", spark_ltype(dtype)


def sql_values(sql: SqlValidation, specs: list[ColumnSpec], role: str,
               plan: TablePlan | None = None) -> list[str] | None:
    """Each column's canonical text in the side's SQL; None when one does not render there.
    With ``plan`` (the source side), columns the load converts are rendered from their wire
    form."""
    renderer = sql.renderer
    out = []
    for s in specs:
        name = s.source if role == "source" else s.name
        phys = s.source_type if role == "source" else s.target_type
        if name is None:
            return None
        ref = renderer.quote(name)
        if role == "source" and plan is not None:
            ref, phys = wire_form(sql, plan, s)
        value = renderer.render(s, ref, phys, role)
        if value is None:
            return None
        out.append(value)
    return out


def spark_values(frame: Any, specs: list[ColumnSpec], role: str, plan: TablePlan) -> list[str]:
    types = {f.name: spark_ltype(f.dataType) for f in frame.schema.fields}
    out = []
    for s in specs:
        value = SPARK.render(s, SPARK.quote(s.name), types.get(s.name), role)
        if value is None and s.name in types:  # the column's type drifted: read it as planned
            want = spark_type(s.planned)
            value = SPARK.render(s, f"CAST({SPARK.quote(s.name)} AS {want.simpleString()})",
                                 spark_ltype(want), role)
        if value is None:
            raise ValidationError(plan.source_label, f"column {s.name}: {role} type {types.get(s.name)} "
                                                     f"cannot be compared as {s.planned}")
        out.append(value)
    return out


def physical(specs: list[ColumnSpec], key: list[str], role: str, frame: Any) -> str | None:
    if len(key) != 1:
        return None
    spec = next(s for s in specs if s.name == key[0])
    if frame is not None:
        field = next((f for f in frame.schema.fields if f.name == key[0]), None)
        return spark_ltype(field.dataType).kind if field is not None else None
    phys = spec.source_type if role == "source" else spec.target_type
    return phys.kind if phys is not None else None


def key_mode(cols: TableColumns, kinds: list[str | None]) -> str:
    if not cols.key:
        return "rows"
    if len(cols.key) == 1 and cols.spec(cols.key[0]).value_kind == "int" and all(
            k in RANGE_KINDS for k in kinds):
        return "range"
    return "hash"
