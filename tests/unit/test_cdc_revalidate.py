"""CDC re-validation's pieces: the bounded set of changed keys, the key-set restriction of
a SQL validation side (values bound in order, never pasted), and CdcStartTime's start
position asked of the stream."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sparkdms.connectors.base import Change, Checkpoint

from sparkdms.cdc import revalidate
from sparkdms.cdc.run import _start_at_time
from sparkdms.cdc.steps import Item, SourceStep
from sparkdms.errors import SparkDmsError
from sparkdms.validate.sides import Rendered, SqlSide
from sparkdms.validate.strategy import KeySet
from tests.unit.test_cdc_steps import A, B


def step(plan: Any, keys: list[int]) -> SourceStep:
    items = {(k,): Item("insert", {"id": k}, Change("insert", "public", "a", {"id": k}, None,
                                                   "0/1")) for k in keys}
    return SourceStep(plan, "upsert", items)


def test_changed_keys_keep_the_latest_and_count_what_was_dropped(monkeypatch: Any) -> None:
    monkeypatch.setattr(revalidate, "MAX_KEYS", 3)
    changed = revalidate.Changed()
    changed.add([step(A, [1, 2, 3]), step(B, [9])])
    changed.add([step(A, [1, 4, 5])])  # 1 again: it becomes the latest
    assert list(changed.keys["public.a"]) == [(1,), (4,), (5,)]
    assert changed.dropped == {"public.a": 2}
    assert list(changed.keys["public.b"]) == [(9,)]
    assert revalidate.key_set(A, changed.keys["public.a"]) == KeySet(("ID",), ("id",),
                                                                     ((1,), (4,), (5,)))


def side(tmp_path: Path, keys: KeySet, names: tuple[str, ...]) -> SqlSide:
    db = tmp_path / "k.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (k TEXT, n INT, v TEXT, PRIMARY KEY (k, n))")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                         [("a'1", 1, "x%"), ("a'1", 2, "y"), ("b", 1, "z"), ("c", 3, None)])
    quote = lambda n: '"' + n.replace('"', '""') + '"'  # noqa: E731
    sql = SimpleNamespace(renderer=SimpleNamespace(quote=quote), placeholder="?", session=(),
                          connect=lambda: sqlite3.connect(db))
    where, params = keys.sql(quote, names)
    return SqlSide("target", sql, "t", [where], Rendered([], "", "", "", None), params)


def test_a_composite_key_set_restricts_every_query_with_bound_values(tmp_path: Path) -> None:
    keys = KeySet(("k", "n"), ("src_k", "src_n"), (("a'1", 2), ("c", 3), ("zz", 9)))
    where, params = keys.sql(lambda n: f'"{n}"', keys.target)
    assert where == '("k" = {MARK} AND "n" = {MARK}) OR ("k" = {MARK} AND "n" = {MARK}) OR ' \
                    '("k" = {MARK} AND "n" = {MARK})'
    assert params == ["a'1", 2, "c", 3, "zz", 9]
    s = side(tmp_path, keys, keys.target)
    assert s.run(f"SELECT k, n, v FROM t{s.where()} ORDER BY k") == [("a'1", 2, "y"),
                                                                     ("c", 3, None)]
    # the call's own values ({MARKS}) come after the side's, as in SqlSide.values
    picked = s.run(f"SELECT k, n FROM t{s.where(['v IN ({MARKS})'])}", ["y", "x%"])
    assert picked == [("a'1", 2)]


def test_a_single_key_set_is_an_in_list(tmp_path: Path) -> None:
    keys = KeySet(("k",), ("k",), (("b",), ("a'1",)))
    s = side(tmp_path, keys, keys.source)
    assert sorted(s.run(f"SELECT k, n FROM t{s.where()}")) == [("a'1", 1), ("a'1", 2),
                                                              ("b", 1)]


class NoTimeStream:  # a source whose log cannot be started at a time
    def start(self) -> str:
        return "0/1"


class BinlogLike(NoTimeStream):
    def __init__(self) -> None:
        self.asked: list[dt.datetime] = []

    def position_at(self, when: dt.datetime) -> str:
        self.asked.append(when)
        return "log.000001:4"


def cdc(stream: Any, migration_type: str = "cdc", **keys: str) -> Any:
    task = SimpleNamespace(migration_type=migration_type, cdc=keys)
    return SimpleNamespace(stream=stream, prep=SimpleNamespace(task=task,
                                                               source=SimpleNamespace(engine="x")))


def test_cdc_start_time_asks_the_stream_once_and_only_without_a_checkpoint() -> None:
    stream = BinlogLike()
    at = "2024-03-01T10:00:00+02:00"
    assert _start_at_time(cdc(stream, CdcStartTime=at), None) == "log.000001:4"
    assert stream.asked == [dt.datetime(2024, 3, 1, 8, tzinfo=dt.UTC)]
    assert _start_at_time(cdc(stream, CdcStartTime=at), Checkpoint("log:9", "x")) is None
    assert _start_at_time(cdc(stream), None) is None
    assert len(stream.asked) == 1
    with pytest.raises(SparkDmsError, match="CdcStartTime: the x source cannot start"):
        _start_at_time(cdc(NoTimeStream(), CdcStartTime=at), None)
