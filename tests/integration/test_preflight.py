"""A target user who may not create the target tables is refused before Spark starts:
exit 2 and one line naming the user, the schema and the missing privilege, nothing written
(it used to be a raw driver traceback from inside the load, exit 1, no report)."""

from __future__ import annotations

import uuid

import pytest
from psycopg import sql

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import pg_connect
from tests.integration.helpers import fetch, selection, write_task

CASES = [
    # (target schema, made beforehand (usage only), words of the refusal)
    ("dst", True, "no CREATE privilege on schema dst"),
    ("newdst", False, "the schema does not exist and the user may not create it (no CREATE "
                      "privilege on database"),
]


@pytest.mark.parametrize(("schema", "exists", "words"), CASES, ids=[c[0] for c in CASES])
def test_a_target_user_without_create_is_refused_before_the_load(pg_db, tmp_path, capsys,
                                                                 schema, exists, words):
    role = f"r_{uuid.uuid4().hex[:12]}"
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.src (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO public.src VALUES (1, 'é')")
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'pw_no_create'").format(
            sql.Identifier(role)))
        conn.execute(sql.SQL("REVOKE CREATE ON DATABASE {} FROM PUBLIC").format(
            sql.Identifier(pg_db["database"])))
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        if exists:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(schema), sql.Identifier(role)))
    rename = {"rule-type": "transformation", "rule-id": "2", "rule-name": "to-dst",
              "rule-target": "schema", "object-locator": {"schema-name": "public"},
              "rule-action": "rename", "value": schema}
    target = {**pg_db, "user": role, "password": "pw_no_create"}
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                "ControlTablesSettings": {"ControlSchema": schema}}
    task = write_task(tmp_path, pg_db, target, [selection("public", "src"), rename], settings)
    try:
        code = sparkdms(["run", str(task), "--report", str(tmp_path / "r.json")])
        out = capsys.readouterr()
        assert code == 2, out.out + out.err
        lines = [line for line in out.err.splitlines() if line.strip()]
        assert lines == [f"sparkdms: error: target endpoint (postgres): user {role!r} cannot "
                         f"load schema {schema!r}: {lines[0].split(': ', 4)[-1]}"]
        assert words in lines[0] and "Traceback" not in out.err
        assert "pw_no_create" not in out.out + out.err
        with pg_connect(pg_db) as conn:  # nothing was created
            assert fetch(conn, "SELECT count(*) FROM information_schema.tables WHERE "
                               "table_schema = %s", (schema,)) == [(0,)]
    finally:
        with pg_connect(pg_db, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
