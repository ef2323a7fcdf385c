"""The plain progress line, rows done from Spark's counts, the HTML run report (parsed) and
the JSON report's run section."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from sparkdms.progress import Sample, TableView, plain_line, rows_done, update_view
from sparkdms.report import TABLE_COMPLETED, Report, TableStats
from sparkdms.report.html import render, write_html


def stats(name: str, rows: int, start: str, end: str | None, state: str = TABLE_COMPLETED,
          **extra: object) -> TableStats:
    t = TableStats("public", name, "dst", name, TableState=state, FullLoadRows=rows,
                   FullLoadStartTime=start, FullLoadEndTime=end, Partitions=2)
    if end:
        t.ElapsedSeconds = 4.0
        t.RowsPerSecond = rows / 4.0
    t.extra.update(extra)
    return t


def sample_report() -> Report:
    r = Report("shop", "postgres", "postgres", [
        stats("orders", 20000, "2026-01-01T10:00:00+00:00", "2026-01-01T10:00:04+00:00",
              ValidationState="Validated", ValidationFailedRecords=0, ValidationElapsedSeconds=2.0),
        stats("items <&>", 0, "2026-01-01T10:00:01+00:00", "2026-01-01T10:00:02+00:00",
              state="Table error", FullLoadRows=0),
        stats("customers", 0, None, None, state="Before load")])
    r.tables[1].Error = "relation \"dst.items\" does not exist"
    r.notes.append("not created: foreign key fk_orders_customer on dst.orders: the referenced "
                   "table failed to load")
    r.run.update(sparkdms_version="0.1.0", spark_version="4.2.0", application_id="local-17",
                 spark_start_seconds=3.25)
    return r


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_report_is_self_contained_with_a_row_per_table(tmp_path):
    report = sample_report()
    path = write_html(report, tmp_path / "r.html")
    page = Page()
    page.feed(path.read_text())
    text = " ".join(page.text)
    assert [t for t, _ in page.tags if t in ("script", "link", "img", "iframe")] == []
    assert all(not (a.get("src") or a.get("href")) for _, a in page.tags)
    assert "http" not in path.read_text()
    rows = [a for t, a in page.tags if t == "tr" and a.get("class") == "table-row"]
    assert len(rows) == 3
    assert {"public.orders", "public.items <&>", "public.customers"} <= set(page.text)
    svgs = [a["class"] for t, a in page.tags if t == "svg"]
    assert svgs == ["timeline", "rows-per-second"]
    rects = [a.get("class") for t, a in page.tags if t == "rect"]
    assert len(rects) == 2 + 1 + 3  # two tables started, one validated (timeline); rate bars
    assert rects.count("validation") == 1 and "4.0s, 5,000 rows/s + 2.0s validation" in text
    assert "load failed" in text and "relation \"dst.items\" does not exist" in text
    assert "foreign key fk_orders_customer" in text
    assert "4.2.0" in text and "local-17" in text and "3.25" in text
    assert "Task shop: failed" in text


def test_html_report_redacts_secrets():
    from sparkdms.task.secrets import Secret

    Secret("hunter2-secret")  # read by the process, as a task password is
    report = sample_report()
    report.tables[1].Error = "password hunter2-secret rejected"
    page = render(report)
    assert "hunter2-secret" not in page and "password **** rejected" in page


def test_report_json_carries_the_run_section(tmp_path):
    report = sample_report()
    report.write_json(tmp_path / "r.json")
    run = json.loads((tmp_path / "r.json").read_text())["run"]
    assert run == {"sparkdms_version": "0.1.0", "spark_version": "4.2.0",
                   "application_id": "local-17", "spark_start_seconds": 3.25}


def test_rows_done_prefers_records_over_task_share():
    assert rows_done(Sample(tasks=4, done_tasks=1, records=0), 1000) == 250
    assert rows_done(Sample(tasks=4, done_tasks=1, records=600), 1000) == 600
    assert rows_done(Sample(tasks=4, done_tasks=4, records=1200), 1000) == 1200
    assert rows_done(Sample(tasks=2, done_tasks=1, records=2), 1000) == 500  # a copy's queries
    assert rows_done(Sample(), 1000) == 0


def test_plain_line_says_loading_with_rate_and_eta_and_validating():
    views = [TableView("public.a", 1000, "loading", rows=250, seconds=5.0),
             TableView("public.b", 10, VALIDATING_STATE, rows=10, exact=True, seconds=1.0),
             TableView("public.c", 5, "waiting")]
    line = plain_line(12.0, views)
    assert line == ("  [   12s] 1/3 tables loaded; loading public.a 250/~1,000 rows (25%), "
                    "50 rows/s, ETA 15s; validating public.b; 1 waiting")


VALIDATING_STATE = "validating"


class NoSpark:
    def sample(self, group: str, records: dict) -> Sample:
        raise AssertionError("a finished table is not sampled")


def test_a_validating_table_is_not_shown_as_done_until_its_verdict():
    t = stats("orders", 20, "2026-01-01T10:00:00+00:00", "2026-01-01T10:00:04+00:00")
    view = TableView("public.orders", 0)
    update_view(view, t, True, NoSpark(), {})  # type: ignore[arg-type]
    assert (view.state, view.rows, view.exact) == ("validating", 20, True)
    t.extra["ValidationState"] = "Validated"
    update_view(view, t, True, NoSpark(), {})  # type: ignore[arg-type]
    assert view.state == "done"


def test_spark_start_line_says_when_drivers_are_resolved(tmp_path, monkeypatch):
    from sparkdms.progress import spark_start_line

    monkeypatch.setenv("SPARKDMS_CACHE", str(tmp_path))  # nothing resolved on this "machine"
    monkeypatch.delenv("SPARKDMS_JARS_DIR", raising=False)
    first = spark_start_line("local[*]", ["org.postgresql:postgresql:42.7.4"])
    assert first == ("Starting Spark (local[*]); resolving JDBC drivers and engine jars "
                     "(org.postgresql:postgresql:42.7.4), once per machine ...")
    assert spark_start_line("yarn", []) == "Starting Spark (yarn) ..."


def test_run_has_no_ui_option_and_the_ui_is_on_by_default():
    from sparkdms.cli import parser
    from sparkdms.spark import BASE_CONF

    assert BASE_CONF["spark.ui.enabled"] == "true"
    assert parser().parse_args(["run", "t.yaml", "--no-ui"]).no_ui is True
    assert parser().parse_args(["run", "t.yaml"]).no_ui is False


def test_terminal_bars_show_each_table_and_print_the_runs_lines_above():
    import io

    from sparkdms.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    report = sample_report()
    progress = Progress(report, None, out, [20000, 10, 5])  # no Spark: rows from the report
    assert progress.live is not None and progress.out is not out
    print("  done    public.orders: 20,000 rows", file=progress.out, flush=True)
    progress.stop()
    text = out.getvalue()
    assert "  done    public.orders: 20,000 rows\n" in text
    for label in ("public.orders (done)", "public.items <&> (failed)",
                  "public.customers (waiting)"):
        assert label in text
    assert "20,000 rows" in text
