"""How rows are grouped into checksum ranges, and how a differing range is split.

``Ranges``: a single integer key; bucket b holds keys lo + b*width .. lo + (b+1)*width - 1,
so a split re-reads only that key range (an index range scan on both sides).
``Hashes``: any other key (or the whole row, without one); bucket = 60-bit hash mod m;
a split multiplies m, so each child bucket lies inside exactly one parent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_FILTER_ITEMS = 2000  # bucket ids per query (databases hash long IN lists)


@dataclass(frozen=True)
class RangeFilter:
    """Rows whose key falls in the given buckets of width ``width`` from ``lo``. Rendered as
    ``key BETWEEN first AND last AND (key - lo) / width IN (...)``: an index range scan when
    the buckets are close together, one hashed look-up per row when they are spread."""

    lo: int
    width: int
    buckets: tuple[int, ...]  # sorted

    @property
    def span(self) -> tuple[int, int]:
        return self.lo + self.buckets[0] * self.width, self.lo + (self.buckets[-1] + 1) * self.width - 1

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        return merge([(self.lo + b * self.width, self.lo + (b + 1) * self.width - 1)
                      for b in self.buckets])

    def holds(self, key: int) -> bool:
        return (key - self.lo) // self.width in set(self.buckets) and key >= self.lo


@dataclass(frozen=True)
class ModFilter:
    modulus: int
    buckets: tuple[int, ...]


Filter = RangeFilter | ModFilter | None


def merge(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for a, z in sorted(ranges):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], z))
        else:
            out.append((a, z))
    return tuple(out)


def chunks(items: list, size: int = MAX_FILTER_ITEMS) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class Ranges:
    lo: int
    width: int
    within: Filter = None

    def span(self, bucket: int) -> tuple[int, int]:
        start = self.lo + bucket * self.width
        return start, start + self.width - 1

    def can_split(self, bucket: int) -> bool:
        return self.width > 1

    def only(self, buckets: list[int]) -> list[RangeFilter]:
        return [RangeFilter(self.lo, self.width, tuple(c)) for c in chunks(sorted(buckets))]

    def split(self, buckets: list[int], factor: int) -> list[Ranges]:
        width = max(1, math.ceil(self.width / factor))
        return [Ranges(self.lo, width, f) for f in self.only(buckets)]


@dataclass(frozen=True)
class Hashes:
    modulus: int
    within: Filter = None

    def can_split(self, bucket: int) -> bool:
        return True

    def only(self, buckets: list[int]) -> list[ModFilter]:
        return [ModFilter(self.modulus, tuple(c)) for c in chunks(sorted(buckets))]

    def split(self, buckets: list[int], factor: int) -> list[Hashes]:
        return [Hashes(self.modulus * factor, f) for f in self.only(buckets)]


Bucketing = Ranges | Hashes


def first_level(rows: int, partition_size: int, bounds: tuple[int, int] | None,
                max_buckets: int) -> Bucketing:
    """About ``partition_size`` rows per first-level range, at most ``max_buckets`` ranges."""
    wanted = max(1, min(max_buckets, math.ceil(rows / partition_size)))
    if bounds is None:
        return Hashes(wanted)
    lo, hi = bounds
    return Ranges(lo, max(1, math.ceil((hi - lo + 1) / wanted)))
