"""Direct copies on a local master without the JVM (sparkdms/localrun.py): which masters
qualify, a session that starts only when asked, and tasks run in worker processes, each
told its partition index, the first failure failing the whole."""

from __future__ import annotations

import os

import pytest

from sparkdms.localrun import LazySpark, current_task, is_started, local_slots, run_tasks


@pytest.mark.parametrize(("master", "slots"), [
    ("local", 1), ("local[3]", 3), ("local[*]", os.cpu_count()), (" local[2] ", 2),
    ("local[2,4]", None), ("local[*,3]", None), ("spark://127.0.0.1:7077", None), ("yarn", None),
])
def test_local_slots(master, slots):
    assert local_slots(master) == slots


def test_a_lazy_session_starts_once_and_only_when_used():
    calls = []

    class Session:
        version = "9.9"

    def start():
        calls.append(1)
        return Session()

    lazy = LazySpark(start, 2)
    assert not is_started(lazy) and calls == []
    assert lazy.version == "9.9" and lazy.version == "9.9"
    assert is_started(lazy) and calls == [1]
    assert is_started(object())  # anything else counts as a started session


def where_and_pid(item: int) -> tuple[int, tuple[int, int] | None, int]:
    return item, current_task(), os.getpid()


def fail_on_three(item: int) -> int:
    if item == 3:
        raise ValueError(f"item {item} refused")
    return item


def test_tasks_run_in_worker_processes_with_their_partition_index():
    lazy = LazySpark(lambda: pytest.fail("no session may start"), 2)
    out = run_tasks(lazy, [10, 11, 12, 13, 14], where_and_pid)
    assert [item for item, _, _ in out] == [10, 11, 12, 13, 14]
    assert [where[0] for _, where, _ in out] == [0, 1, 2, 3, 4]
    assert len({where[1] for _, where, _ in out}) == 5  # an attempt id each
    assert all(pid != os.getpid() for _, _, pid in out)
    assert not lazy.started


def test_the_first_failure_fails_the_whole():
    lazy = LazySpark(lambda: pytest.fail("no session may start"), 2)
    with pytest.raises(ValueError, match="item 3 refused"):
        run_tasks(lazy, [1, 2, 3, 4], fail_on_three)
    assert run_tasks(lazy, [1, 2], fail_on_three) == [1, 2]  # the pool still works


def test_a_labelled_threads_tasks_are_counted_for_the_progress():
    from sparkdms.localrun import label_tasks, tasks_of

    lazy = LazySpark(lambda: pytest.fail("no session may start"), 2)
    label_tasks("s.counted")
    run_tasks(lazy, [1, 2, 3], where_and_pid)
    assert tasks_of("s.counted") == (3, 3)
    assert tasks_of("s.other") is None


def test_deferred_only_for_an_all_direct_full_load_on_a_plain_local_master(monkeypatch):
    from types import SimpleNamespace

    from sparkdms.localrun import deferred

    class Target:
        def __init__(self, direct: bool) -> None:
            self.direct = direct

        def can_direct_copy(self, source, plan, settings):
            return self.direct

    def prep(direct=True, migration="full-load", validation=False, master="local[*]"):
        settings = {"Sparkdms.DirectCopyWithoutJvm": True,
                    "ValidationSettings.EnableValidation": validation}
        task = SimpleNamespace(settings=settings, migration_type=migration,
                               spark={"master": master})
        return SimpleNamespace(task=task, plan=SimpleNamespace(tables=("t1", "t2")),
                               source=object(), target=Target(direct))

    monkeypatch.setattr("sparkdms.localrun.warm", lambda slots, modules=(): None)
    monkeypatch.setattr("sparkdms.localrun.spark_running", lambda: False)
    start = lambda: pytest.fail("no session may start")  # noqa: E731
    assert isinstance(deferred(prep(), None, start), LazySpark)
    assert deferred(prep(), "local[3]", start).slots == 3
    assert deferred(prep(direct=False), None, start) is None
    assert deferred(prep(migration="full-load-and-cdc"), None, start) is None
    # validation in the databases' SQL needs no session; it asks the LazySpark if a side does
    assert isinstance(deferred(prep(validation=True), None, start), LazySpark)
    assert deferred(prep(master="spark://h:7077"), None, start) is None
    assert deferred(prep(), "local[2,3]", start) is None
    monkeypatch.setattr("sparkdms.localrun.spark_running", lambda: True)
    assert deferred(prep(), None, start) is None
