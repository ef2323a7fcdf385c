"""Indexes a column list cannot say, PostgreSQL -> PostgreSQL: GIN (jsonb_path_ops), GiST
on tsvector, hash, BRIN, a partial B-tree, an expression index, a GIN over an opclass of
an extension the target lacks (pg_trgm). Same family: each rebuilt with its method,
opclass, expressions and predicate (the extension's one said as not created, the task
succeeds); MariaDB: all said as not created, with their definitions."""

from __future__ import annotations

import re

from tests.integration.conftest import pg_connect
from tests.integration.helpers import assert_same_rows, fetch, normalise, selection, write_task
from tests.integration.test_full_load import run_ok

SCHEMA = """
CREATE TABLE public.docs (
  id integer PRIMARY KEY, name text, body jsonb, words tsvector, code text,
  created date, state text);
INSERT INTO public.docs
SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'Näme ' || g END,
       jsonb_build_object('k', g % 5, 'tags', jsonb_build_array('a', 'ü' || g)),
       to_tsvector('simple', 'word' || g || ' other'), 'c' || (g % 13),
       DATE '2020-01-01' + g, CASE WHEN g % 3 = 0 THEN 'open' ELSE 'closed' END
FROM generate_series(1, 300) g;
CREATE INDEX docs_body_gin ON public.docs USING gin (body jsonb_path_ops);
CREATE INDEX docs_words_gist ON public.docs USING gist (words);
CREATE INDEX docs_code_hash ON public.docs USING hash (code);
CREATE INDEX docs_created_brin ON public.docs USING brin (created) WITH (pages_per_range = 16);
CREATE INDEX docs_open ON public.docs (created DESC) WHERE state = 'open';
CREATE UNIQUE INDEX docs_lower_name ON public.docs (lower(name), id);
CREATE INDEX docs_name_trgm ON public.docs USING gin (name gin_trgm_ops);
"""

MINE = ("docs_body_gin", "docs_words_gist", "docs_code_hash", "docs_created_brin", "docs_open",
        "docs_lower_name")
INDEXES = ("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
           "AND tablename = 'docs' AND indexname <> 'docs_pkey' ORDER BY 1")
ROWS = "SELECT id, name, body::text, words::text, code, created, state FROM public.docs"


def _shape(definition: str) -> str:
    """An index definition without its name and table."""
    return re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON \S+ ", r"\1", definition)


def _seed(pg_db: dict) -> dict[str, str]:
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute(SCHEMA)
        return dict(fetch(conn, INDEXES))


def test_index_methods_rebuilt_on_postgres(pg_db, spark, tmp_path):
    source = _seed(pg_db)
    dst = {**pg_db, "database": pg_db["database"] + "_dst"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dst["database"]}"')  # without pg_trgm
    try:
        report = run_ok(write_task(tmp_path, pg_db, dst, [selection("public")]),
                        tmp_path / "r.json")
        with pg_connect(dst) as conn:
            target = dict(fetch(conn, INDEXES))
            target_rows = normalise(fetch(conn, ROWS))
    finally:
        with pg_connect(pg_db, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dst["database"]}" WITH (FORCE)')
    assert set(target) == set(MINE), target
    for name in MINE:
        assert _shape(target[name]) == _shape(source[name]), (name, target[name], source[name])
    assert "USING gin (body jsonb_path_ops)" in target["docs_body_gin"]
    assert "WHERE (state = 'open'::text)" in target["docs_open"]
    trgm = [n for n in report["notes"] if "docs_name_trgm" in n]
    assert len(trgm) == 1 and trgm[0].startswith("not created: index docs_name_trgm on "), trgm
    assert "gin_trgm_ops" in trgm[0] and "\n" not in trgm[0], trgm
    with pg_connect(pg_db) as conn:
        assert_same_rows(normalise(fetch(conn, ROWS)), target_rows)


def test_index_methods_not_created_on_mariadb(pg_db, my_db, spark, tmp_path):
    _seed(pg_db)
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"}}
    report = run_ok(write_task(tmp_path, pg_db, my_db, [selection("public")], settings),
                    tmp_path / "r.json")
    notes = [n for n in report["notes"] if n.startswith("not created: index docs_")]
    said = {n.split()[3] for n in notes}
    assert said == {*MINE, "docs_name_trgm"}, report["notes"]
    assert any("USING gin (body jsonb_path_ops)" in n for n in notes), notes
    assert any("WHERE (state = 'open'::text)" in n for n in notes), notes
