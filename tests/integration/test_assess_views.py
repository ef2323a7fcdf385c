"""A converted view compared with the source's view on a sample (issue 9 item 8): PostgreSQL
views going to MariaDB, one whose conversion keeps its output (sums, upper-case text,
NULLs, unicode) and one whose conversion changes it (integer division: PostgreSQL truncates,
MariaDB returns a decimal), and one the target cannot run. Before the load the target
lacks the tables, and the assessment says the views were not compared and why; after
``sparkdms run`` it compares."""

from __future__ import annotations

from decimal import Decimal

from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import fetch, selection, write_task
from tests.integration.test_assess_signals import assess, find, items_of
from tests.integration.test_full_load import run_ok

PG_SCHEMA = """
CREATE TABLE public.parts (id int PRIMARY KEY, a int, b int, label text);
INSERT INTO public.parts VALUES (1, 7, 2, 'x'), (2, 9, 3, NULL), (3, -7, 2, 'zé'),
  (4, NULL, 1, 'w');
CREATE VIEW public.part_sums AS SELECT id, a + b AS total, upper(label) AS label
  FROM public.parts;
CREATE VIEW public.part_ratios AS SELECT id, a / b AS ratio FROM public.parts;
CREATE VIEW public.part_docs AS SELECT id, to_tsvector(label) AS doc FROM public.parts;
"""


def view_item(items: list[dict], view: str) -> dict:
    hits = find(items, category="view", table=f"public.{view}", message="on a sample")
    assert len(hits) == 1, [i["message"] for i in items]
    return hits[0]


def plain(value) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def test_converted_views_compared_on_a_sample(pg_db, my_db, spark, tmp_path, capsys):
    with pg_connect(pg_db) as conn:
        conn.execute(PG_SCHEMA)
    task = write_task(tmp_path, pg_db, my_db, [selection("public")])

    # the target has no tables yet: said, not silent, and not an alarm
    before = items_of(assess(task, tmp_path, capsys)[0])
    for view in ("part_sums", "part_ratios", "part_docs"):
        item = view_item(before, view)
        assert item["level"] == "info"
        assert "not compared on a sample: the target has no table " \
            f"{my_db['database']}.parts yet" in item["message"]

    run_ok(task, tmp_path / "r.json")
    data, _ = assess(task, tmp_path, capsys)
    items = items_of(data)
    same = view_item(items, "part_sums")
    assert same["level"] == "info"
    assert "returns the same rows on a sample of 4 (all 4 row(s))" in same["message"]

    # what each engine computes for a / b, read from each database itself
    with pg_connect(pg_db) as conn:
        pg = dict(fetch(conn, "SELECT id, a / b FROM public.parts"))
    with my_connect(my_db) as conn:
        my = dict(fetch(conn, "SELECT id, a / b FROM parts"))
    differ = sorted(k for k in pg if plain(pg[k]) != plain(my[k]) if pg[k] is not None)
    assert differ == [1, 3]
    changed = view_item(items, "part_ratios")
    assert changed["level"] == "warning"
    assert f"different rows on a sample ({len(differ)} of 4 differ" in changed["message"]
    first = min(differ, key=lambda k: (str(k), plain(pg[k])))
    assert f"source ({first}, {plain(pg[first])}) vs target ({first}, {plain(my[first])})" \
        in changed["message"], changed["message"]
    # a converted query the target cannot run: not compared, with the target's error
    fails = view_item(items, "part_docs")
    assert fails["level"] == "warning"
    assert "not compared on a sample: the converted query fails on mariadb: " in fails["message"]
    assert "TO_TSVECTOR" in fails["message"].upper()
    assert data["summary"]["runnable"] is True
