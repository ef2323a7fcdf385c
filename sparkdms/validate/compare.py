"""Cheap first: row counts, then checksums per key range on both sides at once; ranges
that differ are split again until they are small, then their rows' (key, checksum) pairs
are compared, and only the differing rows' values are read and judged column by column.

A table where nothing differs costs a count and one checksum scan per side.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sparkdms.validate.buckets import Bucketing, Filter, first_level
from sparkdms.validate.columns import ColumnSpec
from sparkdms.validate.sides import Aggregates, Side
from sparkdms.validate.values import describe, same, show

T = TypeVar("T")
SPLIT = {"range": 32, "hash": 64, "rows": 64}  # children per differing range and level
LEAF_ROWS = 64  # a range this small has its rows compared one by one
LEAF_QUERY_ROWS = 50_000  # rows a side returns in one row-level query
MAX_BUCKETS = 200_000

RECORD_DIFF, MISSING_SOURCE, MISSING_TARGET = "RECORD_DIFF", "MISSING_SOURCE", "MISSING_TARGET"


@dataclass
class Difference:
    failure_type: str
    key: dict[str, Any]  # key column -> canonical value (or, without a key, the row)
    details: dict[str, Any]


@dataclass
class Budget:
    """TableFailureMaxCount for one table, FailureMaxCount shared by the task's tables."""

    table: int
    task: list[int]  # [remaining], shared
    lock: threading.Lock = field(default_factory=threading.Lock)
    used: int = 0

    def take(self) -> bool:
        with self.lock:
            if self.used >= self.table or self.task[0] <= 0:
                return False
            self.used += 1
            self.task[0] -= 1
            return True

    @property
    def exhausted(self) -> bool:
        return self.used >= self.table or self.task[0] <= 0

    @property
    def room(self) -> int:
        return max(0, min(self.table - self.used, self.task[0]))


@dataclass
class Outcome:
    source_rows: int = 0
    target_rows: int = 0
    first_ranges: int = 0
    differing_ranges: int = 0
    passes: int = 0
    rows_compared_one_by_one: int = 0
    differences: list[Difference] = field(default_factory=list)
    suspended: int = 0  # rows in differing ranges left unexamined (failure limits)
    equal_after_judgement: int = 0  # checksums differed, values equal within tolerance


def both(a: Callable[[], T], b: Callable[[], T]) -> tuple[T, T]:
    with ThreadPoolExecutor(2, thread_name_prefix="sdms-validate") as pool:
        fa, fb = pool.submit(a), pool.submit(b)
        return fa.result(), fb.result()


class Comparison:
    def __init__(self, src: Side, tgt: Side, specs: list[ColumnSpec], key: list[str], mode: str,
                 partition_size: int, budget: Budget,
                 on_source_rows: Callable[[int], None] | None = None) -> None:
        self.src, self.tgt, self.specs, self.key, self.mode = src, tgt, specs, key, mode
        self.partition_size, self.budget = partition_size, budget
        self.on_source_rows = on_source_rows  # told the source's row count as soon as known
        self.out = Outcome()

    def source_count(self) -> int:
        rows = self.src.count()
        if self.on_source_rows is not None:  # without waiting for the target's count
            self.on_source_rows(rows)
        return rows

    # -- pass 1..n: checksums per range ------------------------------------------------
    def run(self) -> Outcome:
        out = self.out
        out.source_rows, out.target_rows = both(self.source_count, self.tgt.count)
        bounds = None
        if self.mode == "range":
            a, b = both(self.src.bounds, self.tgt.bounds)
            spans = [x for x in (a, b) if x is not None]
            if not spans:
                return out
            bounds = (min(s[0] for s in spans), max(s[1] for s in spans))
        level = first_level(max(out.source_rows, out.target_rows), self.partition_size, bounds,
                            MAX_BUCKETS)
        leaves: list[tuple[Filter, int]] = []
        queue: list[Bucketing] = [level]
        while queue and not self.budget.exhausted:
            bucketing = queue.pop(0)
            sa, ta = both(lambda b=bucketing: self.src.aggregate(b),
                          lambda b=bucketing: self.tgt.aggregate(b))
            out.passes += 1
            if bucketing is level:
                out.first_ranges = len(sa.keys() | ta.keys())
            diff = sorted(k for k in sa.keys() | ta.keys() if sa.get(k) != ta.get(k))
            if bucketing is level:
                out.differing_ranges = len(diff)
            # split what is large and present on both sides; a range one side lacks is all
            # missing rows: splitting it again would find nothing new
            big = [k for k in diff if size(sa, ta, k) > LEAF_ROWS and bucketing.can_split(k)
                   and k in sa and k in ta]
            small = [k for k in diff if k not in set(big)]
            leaves += [(f, n) for group, n in by_rows(small, sa, ta) for f in bucketing.only(group)]
            queue += bucketing.split(big, SPLIT[self.mode]) if big else []
        for where, rows in leaves:
            if self.budget.exhausted:
                out.suspended += rows
                continue
            self.compare_rows(where)
        return out

    # -- rows of small differing ranges -------------------------------------------------
    def compare_rows(self, where: Filter) -> None:
        sh, th = both(lambda: self.src.hashes(where), lambda: self.tgt.hashes(where))
        self.out.rows_compared_one_by_one += len(sh) + len(th)
        if self.mode == "rows":
            self.compare_multisets(where, sh, th)
            return
        src, tgt = group(sh), group(th)
        changed = self.within_budget(sorted(k for k in src.keys() & tgt.keys() if src[k] != tgt[k]))
        only_src = self.within_budget(sorted(src.keys() - tgt.keys()))
        only_tgt = self.within_budget(sorted(tgt.keys() - src.keys()))
        sv, tv = both(lambda: self.src.values(where, sorted(changed) + only_src),
                      lambda: self.tgt.values(where, sorted(changed) + only_tgt))
        for k in sorted(changed):
            self.judge(k, sv.get(k), tv.get(k), duplicates(src[k], tgt[k]))
        for k in only_src:
            self.add(MISSING_TARGET, k, {"source": self.row(sv.get(k))}, sv.get(k))
        for k in only_tgt:
            self.add(MISSING_SOURCE, k, {"target": self.row(tv.get(k))}, tv.get(k))

    def judge(self, key: str, a: list | None, b: list | None, dup: str | None) -> None:
        if a is None or b is None:  # changed between the passes: report what is known
            self.add(RECORD_DIFF, key, {"note": "row changed while it was being validated"}, a or b)
            return
        details = {s.name: describe(s.value_kind, x, y, s.digits)
                   for s, x, y in zip(self.specs, a, b, strict=True)
                   if not same(s.value_kind, x, y, s.digits)}
        if dup:
            details["duplicate_key"] = dup
        if details:
            self.add(RECORD_DIFF, key, details, a)
        else:
            self.out.equal_after_judgement += 1

    def compare_multisets(self, where: Filter, sh: list, th: list) -> None:
        src, tgt = Counter(h for _, h in sh), Counter(h for _, h in th)
        missing, extra = src - tgt, tgt - src
        sv, tv = both(lambda: self.src.values(where, [str(h) for h in missing]),
                      lambda: self.tgt.values(where, [str(h) for h in extra]))
        for h, n in sorted(missing.items()):
            for _ in range(n):
                self.add(MISSING_TARGET, str(h), {"source": self.row(sv.get(str(h)))}, sv.get(str(h)))
        for h, n in sorted(extra.items()):
            for _ in range(n):
                self.add(MISSING_SOURCE, str(h), {"target": self.row(tv.get(str(h)))}, tv.get(str(h)))

    def within_budget(self, keys: list[str]) -> list[str]:
        """The keys there is room to report; the others are counted as suspended."""
        room = self.budget.room
        self.out.suspended += max(0, len(keys) - room)
        return keys[:room]

    # -- failures -------------------------------------------------------------------------
    def row(self, values: list | None) -> dict[str, Any] | None:
        if values is None:
            return None
        return {s.name: show(s.value_kind, v, s.digits) for s, v in zip(self.specs, values, strict=True)}

    def key_of(self, key: str, values: list | None) -> dict[str, Any]:
        if self.mode == "range":
            return {self.key[0]: key}
        row = self.row(values)
        if row is None:
            return {"row_checksum" if self.mode == "rows" else "key": key}
        if self.mode == "rows":
            return {"row": row}
        return {k: row[k] for k in self.key}

    def add(self, failure_type: str, key: str, details: dict[str, Any], values: list | None) -> None:
        if not self.budget.take():
            self.out.suspended += 1
            return
        self.out.differences.append(Difference(failure_type, self.key_of(key, values), details))


def by_rows(buckets: list[int], a: Aggregates, b: Aggregates) -> list[tuple[list[int], int]]:
    """Buckets grouped so that one row-level query reads at most LEAF_QUERY_ROWS rows a side."""
    groups: list[tuple[list[int], int]] = []
    for k in buckets:
        n = size(a, b, k)
        if not groups or groups[-1][1] + n > LEAF_QUERY_ROWS:
            groups.append(([], 0))
        groups[-1][0].append(k)
        groups[-1] = (groups[-1][0], groups[-1][1] + n)
    return groups


def size(a: Aggregates, b: Aggregates, k: int) -> int:
    return max(a.get(k, (0, 0))[0], b.get(k, (0, 0))[0])


def group(pairs: list[tuple[str, int]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for k, h in pairs:
        out.setdefault(k, []).append(h)
    return {k: sorted(v) for k, v in out.items()}


def duplicates(a: list[int], b: list[int]) -> str | None:
    if len(a) == len(b) == 1:
        return None
    return f"key appears {len(a)} time(s) on the source and {len(b)} on the target"
