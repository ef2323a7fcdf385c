"""What the assessment says before a run (issue 9 item 8), read from its JSON and its console
summary: a partitioned table loaded as one table, an index and a foreign key only on a
partition, a GIN index, a materialized view, CHAR(n) padding, mixed-case names and a
case-insensitive MariaDB collation going to PostgreSQL -- each with its level -- and no
such item where source and target behave alike. "The task can run" only without ERROR
items. The run then says on the console which indexes it did not create."""

from __future__ import annotations

import json

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import my_connect, pg_connect
from tests.integration.helpers import selection, write_task
from tests.integration.test_full_load import run_ok

PG_SCHEMA = """
CREATE TABLE public.shops (id int PRIMARY KEY, code char(4) NOT NULL, tags int[]);
INSERT INTO public.shops VALUES (1, 'ab', '{1,2}'), (2, 'abcd', NULL);
CREATE INDEX shops_tags_gin ON public.shops USING gin (tags);
CREATE TABLE public.events (id int NOT NULL, shop_id int, kind text) PARTITION BY RANGE (id);
CREATE TABLE public.events_low PARTITION OF public.events FOR VALUES FROM (0) TO (100);
CREATE TABLE public.events_high PARTITION OF public.events FOR VALUES FROM (100) TO (200);
CREATE INDEX events_low_kind ON public.events_low (kind);
ALTER TABLE public.events_high ADD CONSTRAINT events_high_shop FOREIGN KEY (shop_id)
  REFERENCES public.shops;
INSERT INTO public.events VALUES (1, 1, 'open'), (150, 2, 'close');
CREATE MATERIALIZED VIEW public.shop_counts AS
  SELECT shop_id, count(*) AS n FROM public.events GROUP BY shop_id;
"""

MY_SCHEMA = """
CREATE TABLE `Customer` (`Id` int PRIMARY KEY, `FirstName` varchar(40)
  COLLATE utf8mb4_general_ci, code char(3) COLLATE utf8mb4_bin, note text COLLATE utf8mb4_bin);
INSERT INTO `Customer` VALUES (1, 'Ann', 'x', 'a'), (2, 'ann', 'xy ', 'b');
"""


def items_of(data: dict) -> list[dict]:
    return [i for t in data["tables"] for i in t["items"]] + data["objects"] + data["checks"]


def find(items: list[dict], **want: str) -> list[dict]:
    return [i for i in items if all(v in (i.get(k) or "") for k, v in want.items())]


def assess(task, tmp_path, capsys) -> tuple[dict, str]:
    capsys.readouterr()
    assert sparkdms(["assess", str(task), "--out", str(tmp_path / "a.json")]) == 0
    return json.loads((tmp_path / "a.json").read_text()), capsys.readouterr().out


def test_postgres_source_signals(pg_db, target, spark, tmp_path, capsys):
    with pg_connect(pg_db) as conn:
        conn.execute(PG_SCHEMA)
    # one table at a time: concurrent first loads race on a shared CREATE TABLE IF NOT EXISTS
    # (pg_type_typname_nsp_index), reported to the coordinator, not the subject here
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE",
                                     "MaxFullLoadSubTasks": 1}}
    task = write_task(tmp_path, pg_db, target, [selection("public")], settings)
    data, out = assess(task, tmp_path, capsys)
    items = items_of(data)
    level = {
        "partitioned table (PARTITION BY RANGE (id), 2 partition(s)) is loaded as one plain":
            "warning",
        "index events_low_kind exists only on partition events_low": "warning",
        "foreign key events_high_shop exists only on partition events_high": "warning",
        "a gin index, which a B-tree cannot stand for, is not recreated": "warning",
        "materialized view public.shop_counts: the target gets no materialized view": "warning",
    }
    if target["engine"] == "postgres":  # same family: the GIN index is rebuilt, not a gap
        assert not find(items, message="a gin index")
        del level["a gin index, which a B-tree cannot stand for, is not recreated"]
    for text, lv in level.items():
        hits = find(items, message=text)
        assert len(hits) == 1 and hits[0]["level"] == lv, (text, [i["message"] for i in items])
    assert find(items, message="events_low_kind")[0]["table"] == "public.events"
    if target["engine"] == "mariadb":
        assert "USING gin (tags)" in find(items, message="gin index")[0]["message"]
    chars = find(items, category="char")
    mixed = find(items, message="mixed-case")
    assert not mixed  # PostgreSQL source names need no more quoting than before
    if target["engine"] == "mariadb":
        assert len(chars) == 1 and chars[0]["level"] == "warning"
        assert "CHAR columns code" in chars[0]["message"] and "strip trailing" in chars[0]["message"]
    else:
        assert not chars  # same engine: same padding, no false alarm
    assert data["summary"]["levels"]["error"] == 0 and data["summary"]["runnable"] is True
    assert out.rstrip().endswith("Assessment written to " + str(tmp_path / "a.json") + " and "
                                 + str(tmp_path / "a.html"))
    assert "  the task can run" in out.splitlines()

    # the run: every row of the partitioned table in one table, the GIN index said as not
    # created on the console, with its definition
    report = run_ok(task, tmp_path / "r.json")
    console = capsys.readouterr().out
    rows = {t["TableName"]: t["FullLoadRows"] for t in report["tables"]}
    assert rows["events"] == 2
    if target["engine"] == "mariadb":
        section = console[console.index("Objects not created as on the source"):]
        assert "not created: index shops_tags_gin" in section and "gin index" in section
    else:  # same family: the GIN index is rebuilt with its method
        assert "not created: index shops_tags_gin" not in console
        with pg_connect(target) as conn:
            got = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = "
                               "'shops_tags_gin'").fetchall()
        assert len(got) == 1 and "USING gin (tags)" in got[0][0], got


def test_mariadb_ci_collation_to_postgres(my_db, pg_db, spark, tmp_path, capsys):
    with my_connect(my_db, autocommit=True) as conn, conn.cursor() as cur:
        for stmt in filter(str.strip, MY_SCHEMA.split(";")):
            cur.execute(stmt)
    task = write_task(tmp_path, my_db, pg_db, [selection(my_db["database"])])
    data, out = assess(task, tmp_path, capsys)
    items = items_of(data)
    label = f"{my_db['database']}.Customer"
    ci = find(items, category="collation")
    assert len(ci) == 1 and ci[0]["level"] == "warning" and ci[0]["table"] == label
    assert "FirstName (utf8mb4_general_ci)" in ci[0]["message"]
    assert "code" not in ci[0]["message"] and "note" not in ci[0]["message"]  # _bin columns
    assert "case-sensitively" in ci[0]["message"]
    mixed = find(items, message="mixed-case")
    assert len(mixed) == 1 and mixed[0]["level"] == "warning"
    assert "table Customer" in mixed[0]["message"] and "column FirstName" in mixed[0]["message"]
    assert "column code" not in mixed[0]["message"]
    chars = find(items, category="char")
    assert len(chars) == 1 and "padded with spaces" in chars[0]["message"]
    assert data["summary"]["runnable"] is True and "  the task can run" in out.splitlines()


def test_error_items_stop_can_run(pg_db, my_db, tmp_path, capsys):
    """An ERROR that is not a refusal (a value MariaDB cannot store) still stands against
    "the task can run", and the summary names the item that will fail."""
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.m (id int PRIMARY KEY, ratio double precision);"
                     "INSERT INTO public.m VALUES (1, 'NaN'), (2, 0.5);")
    task = write_task(tmp_path, pg_db, my_db, [selection("public")])
    data, out = assess(task, tmp_path, capsys)
    errors = [i for i in items_of(data) if i["level"] == "error"]
    assert [(i["category"], i["column"]) for i in errors] == [("data", "ratio")]
    assert data["summary"]["runnable"] is False
    verdict = [line for line in out.splitlines() if "the task" in line]
    assert verdict == ["  the task can start but will not succeed: these items will fail "
                       "until fixed: public.m.ratio (data)"]
