"""An error raised on an executor while rows are written reaches the console and the report
as one line naming the table and the column and value, with the first cause; the full trace
only goes to the log."""

from __future__ import annotations

import json

from sparkdms.cli import main as sparkdms
from tests.integration.conftest import pg_connect
from tests.integration.helpers import selection, write_task


def test_a_value_the_target_refuses_is_one_line_naming_the_column(pg_db, my_db, tmp_path,
                                                                   capsys):
    with pg_connect(pg_db) as conn:
        conn.execute("CREATE TABLE public.readings (id int PRIMARY KEY, score double precision)")
        conn.execute("INSERT INTO public.readings SELECT i, i * 0.5 FROM generate_series(1, 50) i")
        conn.execute("UPDATE public.readings SET score = 'NaN' WHERE id = 37")
    settings = {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE"},
                "ErrorBehavior": {"DataErrorPolicy": "SUSPEND_TABLE"}}
    task = write_task(tmp_path, pg_db, my_db, [selection("public", "readings")], settings)
    report = tmp_path / "r.json"
    assert sparkdms(["run", str(task), "--report", str(report)]) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if "FAILED" in line]
    stats = json.loads(report.read_text())["tables"][0]
    assert len(failed) == 1 and "readings" in failed[0]
    assert "score" in stats["Error"] and "NaN" in stats["Error"].replace("nan", "NaN")
    assert "\n" not in stats["Error"] and "Traceback" not in out
    assert "An exception was thrown from the Python worker" not in stats["Error"]
