"""The comparison algorithm on in-memory sides that answer like a database would:
injected faults are found with the right key and type and nothing else, a clean table
costs one checksum pass, and failure limits suspend the rest."""

from __future__ import annotations

import hashlib
import random

import pytest

from sparkdms.types import LType
from sparkdms.validate.buckets import Hashes, ModFilter, RangeFilter, Ranges
from sparkdms.validate.columns import ColumnSpec
from sparkdms.validate.compare import (
    MISSING_SOURCE,
    MISSING_TARGET,
    RECORD_DIFF,
    Budget,
    Comparison,
)
from sparkdms.validate.sides import Side

SPECS = [ColumnSpec(n, f, n, LType(k), LType(k), LType(k), digits=15 if f == "float" else None)
         for n, f, k in (("id", "int", "int64"), ("name", "str", "text"), ("x", "float", "float64"))]


def h60(text: str) -> int:
    return int(hashlib.md5(text.encode()).hexdigest()[:15], 16)


class MemorySide(Side):
    """Rows as canonical texts; answers every question like SqlSide's SQL would."""

    method = "memory"

    def __init__(self, rows: list[tuple], mode: str, key: list[int]) -> None:
        self.rows, self.mode, self.key = rows, mode, key
        self.aggregates = 0

    def row_hash(self, row: tuple) -> int:
        return h60("|".join("#" if v is None else v for v in row))

    def key_text(self, row: tuple) -> str:
        if self.mode == "rows":
            return str(self.row_hash(row))
        return "|".join(row[i] for i in self.key)

    def key_hash(self, row: tuple) -> int:
        return self.row_hash(row) if self.mode == "rows" else h60(self.key_text(row))

    def keep(self, row: tuple, where) -> bool:
        if where is None:
            return True
        if isinstance(where, RangeFilter):
            return where.holds(int(row[self.key[0]]))
        assert isinstance(where, ModFilter)
        return self.key_hash(row) % where.modulus in where.buckets

    def count(self) -> int:
        keys = [int(r[self.key[0]]) for r in self.rows] if self.mode == "range" else []
        self.span = (min(keys), max(keys)) if keys else None
        return len(self.rows)

    def bounds(self):
        return self.span

    def aggregate(self, bucketing):
        self.aggregates += 1
        out: dict[int, list[int]] = {}
        for r in self.rows:
            if not self.keep(r, bucketing.within):
                continue
            if isinstance(bucketing, Ranges):
                b = (int(r[self.key[0]]) - bucketing.lo) // bucketing.width
            else:
                assert isinstance(bucketing, Hashes)
                b = self.key_hash(r) % bucketing.modulus
            acc = out.setdefault(b, [0, 0])
            acc[0] += 1
            acc[1] += self.row_hash(r)
        return {b: (n, s) for b, (n, s) in out.items()}

    def hashes(self, where):
        return [(self.key_text(r), self.row_hash(r)) for r in self.rows if self.keep(r, where)]

    def values(self, where, keys):
        self.most_keys = max(getattr(self, "most_keys", 0), len(keys))
        wanted = set(keys)
        return {self.key_text(r): list(r) for r in self.rows
                if self.keep(r, where) and self.key_text(r) in wanted}


def table(n: int = 5000) -> list[tuple]:
    rnd = random.Random(7)
    return [(str(i), rnd.choice(["a", "", None, "Zoë 🚀", "x" * 300]),
             f"{rnd.randrange(10**14, 10**15)}e{rnd.randrange(-5, 5)}") for i in range(1, n + 1)]


def compare(src_rows, tgt_rows, mode="range", key=("id",), partition=500, table_max=1000,
            task_max=10_000):
    idx = [[s.name for s in SPECS].index(k) for k in key]
    src, tgt = MemorySide(src_rows, mode, idx), MemorySide(tgt_rows, mode, idx)
    budget = Budget(table_max, [task_max])
    out = Comparison(src, tgt, SPECS, list(key) if mode != "rows" else [], mode, partition,
                     budget).run()
    return out, src


def found(out) -> set[tuple]:
    return {(d.failure_type, next(iter(d.key.values())) if len(d.key) == 1 else None,
             tuple(sorted(k for k in d.details if k in ("id", "name", "x"))))
            for d in out.differences}


@pytest.mark.parametrize("mode", ["range", "hash"])
def test_clean_table_costs_one_pass(mode):
    rows = table()
    out, src = compare(rows, list(reversed(rows)), mode)
    assert out.differences == [] and out.source_rows == out.target_rows == 5000
    assert out.passes == 1 and src.aggregates == 1 and out.rows_compared_one_by_one == 0


@pytest.mark.parametrize("mode", ["range", "hash"])
def test_injected_faults_are_found_exactly(mode):
    src = table()
    tgt = list(src)
    tgt[10] = (tgt[10][0], "changed", tgt[10][2])  # a changed value
    tgt[20] = (tgt[20][0], tgt[20][1], "0")  # a float to zero
    tgt[30] = (tgt[30][0], None if tgt[30][1] == "" else "", tgt[30][2])  # NULL vs empty string
    tgt[40] = (tgt[40][0], (tgt[40][1] or "") + " ", tgt[40][2])  # a trailing space
    del tgt[4000]  # a missing row (id 4001)
    tgt.append(("99999", "extra", None))  # an extra row
    out, _ = compare(src, tgt, mode)
    assert found(out) == {(RECORD_DIFF, "11", ("name",)), (RECORD_DIFF, "21", ("x",)),
                          (RECORD_DIFF, "31", ("name",)), (RECORD_DIFF, "41", ("name",)),
                          (MISSING_TARGET, "4001", ()), (MISSING_SOURCE, "99999", ())}
    assert out.passes > 1 and out.rows_compared_one_by_one < 2000  # split, not a full re-read
    diff = next(d for d in out.differences if d.key.get("id") == "11")
    assert diff.details["name"]["target"] == "changed"


def test_float_within_tolerance_is_not_a_failure():
    src = table(200)
    tgt = list(src)
    m, e = src[5][2].split("e")
    tgt[5] = (src[5][0], src[5][1], f"{int(m) + 1}e{e}")  # one unit in the 15th digit
    out, _ = compare(src, tgt)
    assert out.differences == [] and out.equal_after_judgement == 1


def test_duplicate_keys_on_the_target():
    src = table(100)
    out, _ = compare(src, [*src, src[3]])
    assert [(d.failure_type, d.key) for d in out.differences] == [(RECORD_DIFF, {"id": "4"})]
    assert "2 on the target" in out.differences[0].details["duplicate_key"]


def test_whole_row_multisets_without_a_key():
    src = table(3000) + [("1", "dup", None)] * 3
    tgt = list(src)
    tgt.remove(("1", "dup", None))  # one copy of a duplicated row gone
    tgt[100] = (tgt[100][0], "changed", tgt[100][2])
    out, _ = compare(src, tgt, mode="rows")
    kinds = sorted((d.failure_type, d.key["row"]["name"]) for d in out.differences)
    assert kinds == [(MISSING_SOURCE, "changed"), (MISSING_TARGET, src[100][1]),
                     (MISSING_TARGET, "dup")]


def test_failure_limits_suspend_the_rest():
    src = table(5000)
    tgt = [(r[0], "changed", r[2]) if int(r[0]) % 10 == 0 else r for r in src]
    out, _ = compare(src, tgt, table_max=25)
    assert len(out.differences) == 25 and out.suspended >= 475 - 25
    task = [3]
    out2 = Comparison(MemorySide(src, "range", [0]), MemorySide(tgt, "range", [0]), SPECS, ["id"],
                      "range", 500, Budget(1000, task)).run()
    assert len(out2.differences) == 3 and task == [0]


def test_empty_tables():
    out, _ = compare([], [])
    assert out.differences == [] and out.source_rows == 0
    out, _ = compare(table(10), [])
    assert {d.failure_type for d in out.differences} == {MISSING_TARGET} and len(out.differences) == 10


def test_a_truncated_target_reads_values_only_for_what_is_reported():
    idx = [0]
    src, tgt = MemorySide(table(5000), "range", idx), MemorySide([], "range", idx)
    out = Comparison(src, tgt, SPECS, ["id"], "range", 500, Budget(25, [10_000])).run()
    assert len(out.differences) == 25 and out.suspended == 5000 - 25
    assert {d.failure_type for d in out.differences} == {MISSING_TARGET}
    assert src.most_keys == 25  # values are read for the 25 reported rows only
