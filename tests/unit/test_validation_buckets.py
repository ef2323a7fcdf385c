"""Checksum ranges: first level, splits that nest, filters that stay small."""

from __future__ import annotations

from sparkdms.validate.buckets import (
    MAX_FILTER_ITEMS,
    Hashes,
    ModFilter,
    RangeFilter,
    Ranges,
    first_level,
    merge,
)


def test_merge_joins_adjacent_and_overlapping_ranges():
    assert merge([(10, 19), (0, 9), (30, 39), (35, 50)]) == ((0, 19), (30, 50))


def test_first_level_sizes():
    assert first_level(2_000_000, 10_000, (1, 2_000_000), 200_000) == Ranges(1, 10_000)
    assert first_level(0, 10_000, (5, 5), 200_000) == Ranges(5, 1)
    assert first_level(2_000_000, 10_000, None, 200_000) == Hashes(200)
    assert first_level(10**9, 1, None, 1000) == Hashes(1000)


def test_range_split_restricts_to_the_differing_buckets():
    level = Ranges(1, 10_000)
    assert level.span(0) == (1, 10_000) and level.span(3) == (30_001, 40_000)
    [child] = level.split([9, 3, 4], 32)
    assert child == Ranges(1, 313, RangeFilter(1, 10_000, (3, 4, 9)))
    assert child.within.ranges == ((30_001, 50_000), (90_001, 100_000))
    assert child.within.span == (30_001, 100_000)
    assert [k for k in (30_000, 30_001, 50_000, 50_001, 90_001, 100_000, 100_001)
            if child.within.holds(k)] == [30_001, 50_000, 90_001, 100_000]
    assert Ranges(1, 1).can_split(0) is False


def test_hash_split_nests_children_in_their_parent():
    [child] = Hashes(200).split([7, 3], 64)
    assert child == Hashes(12_800, ModFilter(200, (3, 7)))
    for bucket in range(12_800):
        assert (bucket % 200 in (3, 7)) == (bucket % 200 in child.within.buckets)


def test_filters_are_chunked():
    many = list(range(0, 3 * MAX_FILTER_ITEMS * 2, 2))  # not adjacent: one range each
    parts = Ranges(0, 1).only(many)
    assert len(parts) == 3 and sum(len(p.ranges) for p in parts) == len(many)
    assert [b for p in parts for b in p.buckets] == many
    assert len(Hashes(10**6).only(many)) == 3
