"""Credentials written inside connection URLs (``?user=&password=``, ``user:password@``) are
the ones the drivers use, and the password shows nowhere: not on the console (run, plan,
validate, assess, a failed run), not in the report, the assessment JSON and HTML, the
validation failures or Data Docs, not in a Spark plan."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import fetch, selection, write_task

SEED = """
CREATE TABLE public.items (id int PRIMARY KEY, label text NOT NULL, amount numeric(10,2));
INSERT INTO public.items SELECT g, 'item ' || g, g / 4.0 FROM generate_series(1, 500) g;
CREATE TABLE public.notes (id int PRIMARY KEY, body varchar(40));
INSERT INTO public.notes SELECT g, repeat('n', g % 30) FROM generate_series(1, 40) g;
"""
SETTINGS = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
            "ValidationSettings": {"EnableValidation": True}}


def source_url(db: dict, form: str) -> str:
    user, pw = quote(db["user"], safe=""), quote(db["password"], safe="")
    where = f"{db['host']}:{db['port']}/{db['database']}"
    if form == "jdbc-params":
        return f"jdbc:postgresql://{where}?user={user}&password={pw}"
    return f"postgresql://{user}:{pw}@{where}"


def target_url(db: dict, password: str | None = None) -> str:
    pw = quote(password or db["password"], safe="")
    return (f"jdbc:mariadb://{db['host']}:{db['port']}/{db['database']}"
            f"?user={quote(db['user'], safe='')}&password={pw}")


def rows(conn, sql: str) -> set[tuple]:
    return {tuple(str(v) for v in r) for r in fetch(conn, sql)}


@pytest.mark.parametrize("form", ["jdbc-params", "userinfo"])
def test_url_credentials_are_used_and_never_shown(form, pg_db, my_db, spark, tmp_path, capfd,
                                                  monkeypatch):
    password = pg_db["password"]  # the test servers' account: sparkdms_pw unless overridden
    assert password == my_db["password"] and len(password) >= 6
    leaks = {password, quote(password, safe="")}
    monkeypatch.chdir(tmp_path)  # files written relative to the working directory land here
    with pg_connect(pg_db) as conn:
        conn.execute(SEED)
    tasks = tmp_path / "tasks"  # hold the password by design; every other file must not
    tasks.mkdir()
    out = tmp_path / "out"
    src = {"engine": "postgres", "url": source_url(pg_db, form)}
    dst = {"engine": "mariadb", "url": target_url(my_db)}
    task = write_task(tasks, src, dst, [selection("public")], SETTINGS)
    console: list[str] = []

    def command(*argv: str) -> int:
        code = sparkdms(list(argv))
        captured = capfd.readouterr()
        console.append(captured.out + captured.err)
        return code

    # run: both drivers and Spark's JDBC read connect with the URLs' credentials
    assert command("run", str(task), "--report", str(out / "run.json")) == 0, console[-1]
    assert "password=****" in console[-1] or ":****@" in console[-1]
    with pg_connect(pg_db) as a, my_connect(my_db) as b:
        for table, cols in (("items", "id, label, amount"), ("notes", "id, body")):
            want = rows(a, f"SELECT {cols} FROM public.{table}")
            assert rows(b, f"SELECT {cols} FROM {table}") == want and want
    assert command("plan", str(task)) == 0, console[-1]

    # validate finds the row changed on the target; the failure rows hold no secret
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("UPDATE items SET label = 'changed' WHERE id = 7")
    code = command("validate", str(task), "--report", str(out / "validate.json"),
                   "--out", str(out / "docs"))
    assert code == 1 and "RECORD_DIFF" in (out / "validate.json").read_text(), console[-1]
    with my_connect(my_db) as conn:
        failures = fetch(conn, "SELECT * FROM awsdms_validation_failures_v1")
    assert failures and "changed" in str(failures)

    assert command("assess", str(task), "--out", str(out / "assess.json")) == 0, console[-1]
    assert (out / "assess.html").is_file()

    # a refused login names the endpoint, not the (wrong) password it was given
    wrong = "Wr0ng-" + password
    leaks |= {wrong, quote(wrong, safe="")}
    bad = write_task(tasks, src, {"engine": "mariadb", "url": target_url(my_db, wrong)},
                     [selection("public")], SETTINGS, name="bad")
    assert command("run", str(bad)) == 2
    assert "wrong user or password" in console[-1] and "password=****" in console[-1]

    # the plan Spark runs for a JDBC read carries no credential
    from sparkdms.app import prepare

    prep = prepare(task)
    tp = prep.plan.tables[0]
    frame = prep.source.read_frame(spark, tp, tp.partitioning.parts, tp.filters)
    plans = frame._jdf.queryExecution().toString() + frame._jdf.queryExecution().simpleString()
    assert frame.count() > 0
    captured = capfd.readouterr()
    console.append(captured.out + captured.err + plans)

    files = [p for p in tmp_path.rglob("*") if p.is_file() and tasks not in p.parents]
    assert {"run.json", "validate.json", "assess.json", "assess.html"} <= {p.name for p in files}
    for leak in leaks:
        for i, text in enumerate(console):
            assert leak not in text, f"console output {i} shows {leak!r}"
        for path in files:
            assert leak.encode() not in path.read_bytes(), f"{path} shows {leak!r}"
        assert leak not in str(failures)
