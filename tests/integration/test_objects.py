"""Objects around a load on a target that already has them: a second DROP_AND_CREATE
run drops the foreign keys pointing at the tables it replaces (also one from a table
outside the task, which it puts back), and TRUNCATE_BEFORE_LOAD keeps the target's
own objects without duplicating them."""

from __future__ import annotations

from tests.integration.conftest import pg_connect
from tests.integration.helpers import fetch, selection, write_task
from tests.integration.test_full_load import run_ok

SCHEMA = """
CREATE TABLE public.parent (id serial PRIMARY KEY, code text NOT NULL UNIQUE);
CREATE TABLE public.child (
  id serial PRIMARY KEY, parent_id integer REFERENCES public.parent (id) ON DELETE CASCADE,
  note text DEFAULT 'n/a', CONSTRAINT child_id_positive CHECK (id > 0));
CREATE INDEX child_by_note ON public.child (note);
INSERT INTO public.parent (code) SELECT 'p' || g FROM generate_series(1, 50) g;
INSERT INTO public.child (parent_id, note) SELECT 1 + g % 50, 'note ' || g
  FROM generate_series(1, 200) g;
"""

CATALOG = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace
  AND c.conrelid::regclass::text NOT LIKE 'sparkdms%%'
UNION ALL
SELECT tablename, indexname, indexdef FROM pg_indexes
WHERE schemaname = 'public' AND tablename NOT LIKE 'sparkdms%%'
ORDER BY 1, 2, 3"""


def test_rerun_drops_and_restores_foreign_keys(pg_db, spark, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute(SCHEMA)
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{pg_db["database"]}_dst"')
    dst = {**pg_db, "database": f"{pg_db['database']}_dst"}
    task = write_task(tmp_path, pg_db, dst, [selection("public")])
    run_ok(task, tmp_path / "first.json")
    with pg_connect(dst) as conn:
        first = fetch(conn, CATALOG)
        conn.execute("CREATE TABLE public.outsider (id int PRIMARY KEY, parent_id int "
                     "CONSTRAINT outsider_parent REFERENCES public.parent (id))")
        conn.execute("INSERT INTO public.outsider VALUES (1, 7)")
    second = run_ok(task, tmp_path / "second.json")
    assert any("dropped foreign key outsider_parent" in n for n in second["notes"]), second["notes"]
    with pg_connect(dst) as conn:
        after = fetch(conn, CATALOG)
        identity = fetch(conn, "INSERT INTO public.child (parent_id) VALUES (2) RETURNING id, note")
    assert [r for r in after if r[0] != "outsider"] == first
    assert ("outsider", "outsider_parent",
            "FOREIGN KEY (parent_id) REFERENCES parent(id)") in after
    assert ("child", "child_parent_id_fkey",
            "FOREIGN KEY (parent_id) REFERENCES parent(id) ON DELETE CASCADE") in first
    assert ("child", "child_id_positive", "CHECK ((id > 0))") in first
    assert ("parent", "parent_code_key", "UNIQUE (code)") in first
    assert any(r[1] == "child_by_note" for r in first)
    assert identity == [(201, "n/a")]

    truncate = write_task(tmp_path, pg_db, dst, [selection("public")],
                          {"FullLoadSettings": {"TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD"}},
                          name="truncate")
    third = run_ok(truncate, tmp_path / "third.json")
    with pg_connect(dst) as conn:
        kept = fetch(conn, CATALOG)
        counts = fetch(conn, "SELECT (SELECT count(*) FROM public.parent), "
                             "(SELECT count(*) FROM public.child)")
    assert kept == after and counts == [(50, 200)]
    # only the two foreign keys into the truncated parent were dropped and put back
    assert "created after the load: 2 restore" in third["notes"], third["notes"]
