"""The command line: each subcommand's own options and example in --help, --version,
plan --format json, tables, init, examples, --tables / --retry-failed selection, and one
line on stderr for an error. A SQLite source (no server, no Spark)."""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from sparkdms import __version__, cli
from sparkdms.app import prepare
from sparkdms.cliargs import COMMAND_OPTIONS, OPTIONS
from sparkdms.errors import SelectionError
from sparkdms.reload import failed_tables, narrow
from sparkdms.report import Report, TableStats
from sparkdms.task import load_task


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total NUMERIC(10,2))")
        conn.execute("CREATE TABLE order_items (id INTEGER PRIMARY KEY, qty INTEGER)")
        conn.executemany("INSERT INTO customers VALUES (?, ?)", [(1, "Zoë"), (2, None)])
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump({
        "name": "shop", "source": {"engine": "sqlite", "path": str(db)},
        "target": {"engine": "parquet", "path": str(tmp_path / "lake")},
        "table_mappings": {"rules": [{"rule-type": "selection", "rule-id": "1",
                                      "rule-name": "all", "rule-action": "include",
                                      "object-locator": {"schema-name": "main",
                                                         "table-name": "%"}}]}}))
    return task


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- help and version -------------------------------------------------------------------------

def flags(name: str) -> set[str]:
    return {f for key in COMMAND_OPTIONS[name] for f in OPTIONS[key][0] if f.startswith("-")}


def options_of(name: str) -> set[str]:
    """The option strings the parser really gives a subcommand."""
    p = cli.parser()
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return {o for a in sub.choices[name]._actions for o in a.option_strings}


@pytest.mark.parametrize("name", list(COMMAND_OPTIONS))
def test_each_subcommand_shows_its_own_options_and_an_example(capsys, name):
    with pytest.raises(SystemExit):
        cli.main([name, "--help"])
    text = capsys.readouterr().out
    assert "\nexample:\n  sparkdms " + name in text
    added_by_cli = {"run": {"--resume", "--follow"}}.get(name, set())  # cli.py's own extras
    assert options_of(name) - added_by_cli == flags(name) | {"-h", "--help"}
    for flag in flags(name):
        assert flag in text


def test_plan_has_no_spark_options_and_run_has_them():
    assert not {"--master", "--conf", "--report"} & flags("plan")
    assert {"--master", "--conf", "--report", "--tables", "--retry-failed"} <= flags("run")
    assert "--out" in flags("run")  # great-expectations Data Docs of the validation after the load


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(f"sparkdms {__version__} (Python 3.")


# -- plan --format json, tables ---------------------------------------------------------------

def test_plan_json_has_the_facts_of_the_text_plan(capsys, shop):
    code, out, err = run(capsys, "plan", str(shop), "--format", "json")
    assert code == 0 and err == ""
    plan = json.loads(out)
    assert plan["task"] == "shop" and plan["source_engine"] == "sqlite"
    tables = {t["source"]["table"]: t for t in plan["tables"]}
    assert set(tables) == {"customers", "orders", "order_items"}
    columns = {c["name"]: c for c in tables["orders"]["columns"]}
    assert columns["total"]["source_type"].upper().startswith("NUMERIC")
    assert columns["id"]["source_name"] == "id" and tables["orders"]["primary_key"] == ["id"]
    code, text, _ = run(capsys, "plan", str(shop))
    for t in plan["tables"]:  # the same tables and target types as the text plan
        assert f"table main.{t['source']['table']} -> " in text
        for c in t["columns"]:
            assert c["target_type"] in text


def test_plan_tables_narrows_the_plan(capsys, shop):
    code, out, _ = run(capsys, "plan", str(shop), "--format", "json", "--tables", "order%")
    assert code == 0
    assert sorted(t["source"]["table"] for t in json.loads(out)["tables"]) == [
        "order_items", "orders"]


def test_tables_lists_what_the_selection_matches(capsys, shop):
    code, out, err = run(capsys, "tables", str(shop), "--format", "json")
    assert code == 0 and err == ""
    listed = {t["source"]: t for t in json.loads(out)["tables"]}
    assert set(listed) == {"main.customers", "main.orders", "main.order_items"}
    assert listed["main.customers"]["primary_key"] == ["id"]
    code, out, _ = run(capsys, "tables", str(shop))
    lines = out.splitlines()
    assert lines[0].startswith("Task shop: 3 table(s) from sqlite at ")
    assert lines[1].split()[:2] == ["Source", "table"]
    assert {line.split()[0] for line in lines[3:6]} == set(listed)


# -- --tables / --retry-failed selection ------------------------------------------------------

def test_tables_patterns(shop):
    plan = prepare(shop, with_partitions=False, check_target=False).plan
    names = lambda p: sorted(t.source.name for t in p.tables)  # noqa: E731
    assert names(narrow(plan, "orders")) == ["orders"]
    assert names(narrow(plan, "main.order%")) == ["order_items", "orders"]
    assert names(narrow(plan, "order*, customers")) == ["customers", "order_items", "orders"]
    assert names(narrow(plan, "order[_]items")) == ["order_items"]
    assert narrow(plan, None) is plan
    with pytest.raises(SelectionError, match="--tables 'nope' matches none of the task's 3"):
        narrow(plan, "nope")


def report_file(tmp_path: Path, states: dict[str, str], task: str = "shop") -> Path:
    tables = []
    for name, state in states.items():
        stats = TableStats("main", name, "", name)
        if state != "pending":
            stats.start()
            stats.finish(3, error="boom" if state == "error" else None)
        if state == "mismatched":
            stats.extra["ValidationState"] = "Mismatched records"
            stats.extra["ValidationStateDetails"] = "1 row differs"
        tables.append(stats)
    path = tmp_path / "r.json"
    Report(task, "sqlite", "parquet", tables).write_json(path)
    return path


def test_retry_failed_takes_the_failed_unstarted_and_mismatched_tables(tmp_path, shop):
    path = report_file(tmp_path, {"customers": "ok", "orders": "error",
                                  "order_items": "pending"})
    assert failed_tables(json.loads(path.read_text())) == {"main.orders", "main.order_items"}
    plan = prepare(shop, with_partitions=False, check_target=False).plan
    assert sorted(t.source.name for t in narrow(plan, retry_failed=str(path)).tables) == [
        "order_items", "orders"]
    assert [t.source.name for t in narrow(plan, "order[_]%", str(path)).tables] == [
        "order_items"]
    path = report_file(tmp_path, {"customers": "mismatched", "orders": "ok",
                                  "order_items": "ok"})
    assert [t.source.name for t in narrow(plan, retry_failed=str(path)).tables] == ["customers"]


FIRST_LINE = "Reading the task, connecting to both endpoints, discovering tables ...\n"


def test_retry_failed_refuses_another_tasks_report(tmp_path, shop, capsys):
    path = report_file(tmp_path, {"orders": "error"}, task="other")
    code, out, err = run(capsys, "run", str(shop), "--retry-failed", str(path))
    assert code == 2 and out == FIRST_LINE  # what it was doing when it was refused
    assert err == (f"sparkdms: error: task file: --retry-failed: {path} is a report of task "
                   "'other', not 'shop'\n")


def test_retry_failed_with_nothing_failed_starts_nothing(tmp_path, shop, capsys):
    path = report_file(tmp_path, {"customers": "ok", "orders": "ok", "order_items": "ok"})
    code, out, err = run(capsys, "run", str(shop), "--retry-failed", str(path))
    assert (code, err) == (0, "")
    assert out == FIRST_LINE + f"Nothing to retry: {path} shows every table loaded\n"
    assert not (shop.parent / "lake").exists()


# -- init and examples ------------------------------------------------------------------------

def test_init_writes_a_commented_task_without_the_password(tmp_path, capsys, monkeypatch):
    out = tmp_path / "t.yaml"
    code, printed, _ = run(capsys, "init", "postgresql://app:s3cret-init@db.example:6543/shop",
                           f"sqlite:///{tmp_path}/copy.db", "-o", str(out))
    assert code == 0 and "SPARKDMS_SOURCE_PASSWORD" in printed
    text = out.read_text()
    assert "s3cret-init" not in text and text.count("\n#") >= 5
    monkeypatch.setenv("SPARKDMS_SOURCE_PASSWORD", "from-env")
    task = load_task(out)
    assert (task.source.engine, task.source.host, task.source.port, task.source.database,
            task.source.user) == ("postgres", "db.example", 6543, "shop", "app")
    assert task.source.password.reveal() == "from-env"
    assert task.target.engine == "sqlite" and task.target.path == f"{tmp_path}/copy.db"
    rule = task.table_mappings["rules"][0]["object-locator"]
    assert rule == {"schema-name": "public", "table-name": "%"}
    assert task.settings["FullLoadSettings.TargetTablePrepMode"] == "DROP_AND_CREATE"
    code, _, err = run(capsys, "init", "mysql://a@h/db", "sqlite:///x.db", "-o", str(out))
    assert code == 2 and "exists already; --force overwrites it" in err
    code, _, err = run(capsys, "init", "oracle://a@h/db", "sqlite:///x.db", "-o", str(out))
    assert code == 2 and err.count("\n") == 1 and "unknown scheme 'oracle'" in err


def test_examples_list_and_copy(tmp_path, capsys):
    code, out, _ = run(capsys, "examples")
    assert code == 0 and "postgres-to-mariadb.yaml" in out
    code, out, _ = run(capsys, "examples", str(tmp_path / "ex"))
    assert code == 0
    copied = {p.relative_to(tmp_path / "ex").as_posix() for p in (tmp_path / "ex").rglob("*")
              if p.is_file()}
    assert {"postgres-to-mariadb.yaml", "mappings/shop-selection.json"} <= copied


# -- errors: one line on stderr ---------------------------------------------------------------

def test_a_bad_task_is_one_line_on_stderr(capsys, tmp_path):
    (tmp_path / "t.yaml").write_text("name: t\nsource: {engine: nope}\n")
    code, out, err = run(capsys, "plan", str(tmp_path / "t.yaml"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("sparkdms: error: task file: ")


def test_an_unexplained_error_is_one_line_with_the_log(capsys, tmp_path, monkeypatch):
    def broken(args):
        raise RuntimeError("driver said no\n\tat org.example.Deep(Deep.java:1)")

    monkeypatch.setitem(cli.COMMANDS, "tables", ("tables", broken))
    log = tmp_path / "t.log"
    code, out, err = run(capsys, "tables", "x.yaml", "--log", str(log))
    assert code == 1 and out == ""
    assert err == (f"sparkdms: error: RuntimeError: driver said no (full trace in {log}; "
                   f"Spark's log: {tmp_path / 't.jvm.log'})\n")
    assert "Traceback" in log.read_text() and "Deep.java" in log.read_text()
