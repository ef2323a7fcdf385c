"""The two sides of a comparison. A side answers four questions about its rows, each
restricted by a filter: how many, checksums per bucket, (key, checksum) per row, and the
canonical values of given keys. ``SqlSide`` asks the database through the engine's
``SqlValidation`` (only small aggregates cross the wire); ``SparkSide`` computes the same
canonical text on a DataFrame (engines without md5 in SQL, lakes, and sources whose plan
computes values in Spark)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkdms.validate.buckets import Bucketing, Filter, Hashes, RangeFilter, Ranges
from sparkdms.validate.canon import Renderer, SparkRenderer
from sparkdms.validate.columns import ColumnSpec

if TYPE_CHECKING:
    from sparkdms.connectors.base import SqlValidation

Aggregates = dict[int, tuple[int, int]]  # bucket -> (rows, sum of row checksums)
MODES = ("range", "hash", "rows")  # integer key ranges, key hashes, whole-row hashes (no key)


@dataclass(frozen=True)
class Rendered:
    """The canonical SQL of one side: per-column values and the row/key texts."""

    values: list[str]
    row_hash: str
    key_text: str
    key_hash: str
    key_number: str | None
    stored: int = 0  # columns the row hash takes as stored (``native_row_hash``)


def render(dialect: Renderer, specs: list[ColumnSpec], values: list[str], key: list[str],
           mode: str, key_ref: str | None, fast: bool = False,
           stored: list[str | None] | None = None) -> Rendered:
    """``fast``: both sides are the same engine, which has a cheaper hash than md5.
    ``stored``: per column, the reference whose stored value the row hash takes as it is
    (``Renderer.native_row_hash``), or None for its canonical text."""
    parts = [dialect.part(s, v) for s, v in zip(specs, values, strict=True)]
    hash_of = dialect.fast_hash if fast and dialect.fast_hash else dialect.hash60
    native = row_hash_of(dialect, parts, stored)
    row_hash = native or hash_of(dialect.row_text(parts))
    n = sum(1 for ref in stored or [] if ref) if native else 0
    if mode == "rows":
        return Rendered(values, row_hash, dialect.text(row_hash), row_hash, None, n)
    by_name = {s.name: p for s, p in zip(specs, parts, strict=True)}
    key_text = dialect.row_text([by_name[k] for k in key])
    if mode == "range":
        index = [s.name for s in specs].index(key[0])
        return Rendered(values, row_hash, values[index], "", key_ref, n)
    return Rendered(values, row_hash, key_text, hash_of(key_text), None, n)


def row_hash_of(dialect: Renderer, parts: list[str], stored: list[str | None] | None) -> str | None:
    if not stored or not any(stored):
        return None
    return dialect.native_row_hash([ref or part for ref, part in zip(stored, parts, strict=True)])


class Side(ABC):
    role: str
    method: str
    span: tuple[int, int] | None = None

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def bounds(self) -> tuple[int, int] | None: ...

    @abstractmethod
    def aggregate(self, bucketing: Bucketing) -> Aggregates: ...

    @abstractmethod
    def hashes(self, where: Filter) -> list[tuple[str, int]]: ...

    @abstractmethod
    def values(self, where: Filter, keys: list[str]) -> dict[str, list[str | None]]: ...

    def close(self) -> None:
        return None


class SqlSide(Side):
    method = "sql"

    def __init__(self, role: str, sql: SqlValidation, table: str, conditions: list[str],
                 rendered: Rendered, params: list[Any] | None = None) -> None:
        """``params``: values of the ``{MARK}`` placeholders in ``conditions``, in order."""
        self.role, self.sql, self.d, self.table = role, sql, sql.renderer, table
        self.conditions = [f"({c})" for c in conditions]
        self.r = rendered
        self.params = list(params or [])

    # -- SQL ---------------------------------------------------------------------------
    def where(self, extra: list[str] | None = None) -> str:
        conds = self.conditions + (extra or [])
        return f" WHERE {' AND '.join(conds)}" if conds else ""

    def filter_sql(self, where: Filter) -> list[str]:
        if where is None:
            return []
        if isinstance(where, RangeFilter):
            k, lit = self.r.key_number, self.sql.literal
            (a, z), ids = where.span, ", ".join(str(int(b)) for b in where.buckets)
            bucket = self.d.intdiv(f"({k} - {lit(where.lo)})", lit(where.width))
            return [f"{k} BETWEEN {lit(a)} AND {lit(z)}",
                    *([] if len(where.buckets) == 1 else [f"{bucket} IN ({ids})"])]
        ids = ", ".join(str(int(b)) for b in where.buckets)
        return [f"MOD({self.r.key_hash}, {int(where.modulus)}) IN ({ids})"]

    def bucket_sql(self, bucketing: Bucketing) -> str:
        if isinstance(bucketing, Ranges):
            lit = self.sql.literal
            return self.d.intdiv(f"({self.r.key_number} - {lit(bucketing.lo)})", lit(bucketing.width))
        return f"MOD({self.r.key_hash}, {int(bucketing.modulus)})"

    def run(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        """``sql`` may hold one ``{MARKS}``: the placeholders of ``params``, after those of
        the side's conditions (``{MARK}``, which come first in the text)."""
        call = list(params or [])
        params = [*self.params, *call] if self.params and "{MARK}" in sql else call
        if params:
            marks = self.sql.placeholder
            if "%" in marks:  # the driver formats with %: literal percent signs are doubled
                sql = sql.replace("%", "%%")
            sql = sql.replace("{MARKS}", ", ".join([marks] * len(call))).replace("{MARK}", marks)
        conn = self.sql.connect()
        try:
            cur = conn.cursor()
            for setup in self.sql.session:
                cur.execute(setup)
            cur.execute(sql, tuple(params)) if params else cur.execute(sql)
            rows = [tuple(r) for r in cur.fetchall()]
            conn.rollback()
            return rows
        finally:
            conn.close()

    # -- questions ---------------------------------------------------------------------
    def count(self) -> int:
        k = self.r.key_number
        extra = f", MIN({k}), MAX({k})" if k is not None else ""
        row = self.run(f"SELECT COUNT(*){extra} FROM {self.table}{self.where()}")[0]
        self.span = (int(row[1]), int(row[2])) if k is not None and row[1] is not None else None
        return int(row[0])

    def bounds(self) -> tuple[int, int] | None:
        """Smallest and largest integer key (known after ``count``)."""
        return self.span

    def aggregate(self, bucketing: Bucketing) -> Aggregates:
        inner = (f"SELECT {self.bucket_sql(bucketing)} AS sdms_b, {self.r.row_hash} AS sdms_h "
                 f"FROM {self.table}{self.where(self.filter_sql(bucketing.within))}")
        rows = self.run(f"SELECT sdms_b, COUNT(*), SUM(sdms_h) FROM ({inner}) sdms GROUP BY sdms_b")
        return {int(b): (int(n), int(s)) for b, n, s in rows}

    def hashes(self, where: Filter) -> list[tuple[str, int]]:
        rows = self.run(f"SELECT {self.r.key_text}, {self.r.row_hash} FROM {self.table}"
                        f"{self.where(self.filter_sql(where))}")
        return [(str(k), int(h)) for k, h in rows]

    def values(self, where: Filter, keys: list[str]) -> dict[str, list[str | None]]:
        if not keys:
            return {}
        if self.r.key_number is not None:  # integer key: the index finds the rows
            pick, params = f"{self.r.key_number} IN ({', '.join(str(int(k)) for k in keys)})", []
        else:
            pick, params = f"{self.r.key_text} IN ({{MARKS}})", list(keys)
        cols = ", ".join([self.r.key_text, *self.r.values])
        rows = self.run(f"SELECT {cols} FROM {self.table}{self.where([*self.filter_sql(where), pick])}",
                        params)
        return {str(r[0]): [None if v is None else str(v) for v in r[1:]] for r in rows}


class SparkSide(Side):
    method = "spark"

    def __init__(self, role: str, frame: Any, rendered: Rendered) -> None:
        self.role, self.r = role, rendered
        exprs = [f"{rendered.key_text} AS sdms_k", f"{rendered.row_hash} AS sdms_h",
                 *[f"{v} AS sdms_c{i}" for i, v in enumerate(rendered.values)]]
        if rendered.key_hash and rendered.key_hash != rendered.row_hash:
            exprs.append(f"{rendered.key_hash} AS sdms_kh")
        if rendered.key_number is not None:
            exprs.append(f"CAST({rendered.key_number} AS BIGINT) AS sdms_kn")
        self.frame = frame.selectExpr(*exprs)
        self.cached = False
        self.width = len(rendered.values)

    def key_hash_col(self) -> str:
        return "sdms_h" if self.r.key_hash == self.r.row_hash else "sdms_kh"

    def filter_expr(self, where: Filter) -> str | None:
        if where is None:
            return None
        if isinstance(where, RangeFilter):
            (a, z), ids = where.span, ", ".join(str(int(b)) for b in where.buckets)
            return (f"sdms_kn BETWEEN {a} AND {z} AND "
                    f"(sdms_kn - {int(where.lo)}) div {int(where.width)} IN ({ids})")
        ids = ", ".join(str(int(b)) for b in where.buckets)
        return f"pmod({self.key_hash_col()}, {int(where.modulus)}) IN ({ids})"

    def rows(self, where: Filter) -> Any:
        if where is not None and not self.cached:  # a second look: keep the canonical rows
            from pyspark import StorageLevel

            self.frame = self.frame.persist(StorageLevel.MEMORY_AND_DISK)
            self.cached = True
        expr = self.filter_expr(where)
        return self.frame if expr is None else self.frame.where(expr)

    def count(self) -> int:
        if self.r.key_number is None:
            return int(self.frame.count())
        n, lo, hi = self.frame.selectExpr("count(1)", "min(sdms_kn)", "max(sdms_kn)").collect()[0]
        self.span = None if lo is None else (int(lo), int(hi))
        return int(n)

    def bounds(self) -> tuple[int, int] | None:
        return self.span

    def aggregate(self, bucketing: Bucketing) -> Aggregates:
        if isinstance(bucketing, Ranges):
            bucket = f"(sdms_kn - {int(bucketing.lo)}) div {int(bucketing.width)}"
        else:
            assert isinstance(bucketing, Hashes)
            bucket = f"pmod({self.key_hash_col()}, {int(bucketing.modulus)})"
        from pyspark.sql import functions as F

        rows = (self.rows(bucketing.within).selectExpr(f"{bucket} AS b", "sdms_h").groupBy("b")
                .agg(F.count(F.lit(1)), F.sum(F.col("sdms_h").cast("decimal(38,0)"))).collect())
        return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}

    def hashes(self, where: Filter) -> list[tuple[str, int]]:
        return [(str(r[0]), int(r[1])) for r in self.rows(where).select("sdms_k", "sdms_h").collect()]

    def values(self, where: Filter, keys: list[str]) -> dict[str, list[str | None]]:
        if not keys:
            return {}
        from pyspark.sql import functions as F

        cols = ["sdms_k", *[f"sdms_c{i}" for i in range(self.width)]]
        rows = self.rows(where).where(F.col("sdms_k").isin(keys)).select(*cols).collect()
        return {str(r[0]): [None if v is None else str(v) for v in r[1:]] for r in rows}

    def close(self) -> None:
        if self.cached:
            self.frame.unpersist()


SPARK = SparkRenderer()
