"""The code zip for executors has the installed layout (sparkdms/, sparkdms/connectors/,
sparkdms/jobs/), from the checkout and from a wheel's install; ``sparkdms submit`` builds
the spark-submit command line spark-submit.sh used to."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sparkdms import submit
from sparkdms.cli import main
from sparkdms.errors import SparkDmsError
from sparkdms.packaging import code_files, code_zip

ROOT = Path(__file__).resolve().parents[2]

# a Python without the editable install's finder: it imports only what sys.path holds
ISOLATED = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path "
            "if 'editable' not in repr(f).lower()]; sys.path.insert(0, sys.argv[1]); ")


def run_isolated(path: Path, code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", ISOLATED + code, str(path)], cwd="/",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_zip_has_the_installed_layout(tmp_path):
    names = zipfile.ZipFile(code_zip(tmp_path / "code.zip")).namelist()
    assert all(n.startswith("sparkdms/") for n in names), [n for n in names
                                                            if not n.startswith("sparkdms/")]
    expected = {f"sparkdms/{p.relative_to(ROOT / 'sparkdms').as_posix()}"
                for p in (ROOT / "sparkdms").rglob("*.py")}
    expected |= {f"sparkdms/{folder}/{p.relative_to(ROOT / folder).as_posix()}"
                 for folder in ("connectors", "jobs") for p in (ROOT / folder).rglob("*.py")}
    assert set(names) == expected
    assert len(names) == len(set(names))


def test_zip_imports_on_its_own(tmp_path):
    zipped = code_zip(tmp_path / "code.zip")
    out = run_isolated(zipped, "import sparkdms.connectors.postgres, sparkdms.connectors.lake, "
                               "sparkdms.jobs.full_load, sparkdms.registry as r; "
                               "print(sparkdms.connectors.base.__file__); "
                               "print(sorted(s.name for s in r._from_packages()))")
    where, engines = out.splitlines()
    assert where.startswith(str(zipped))
    assert {"postgres", "mariadb", "sqlite", "delta", "parquet"} <= set(ast.literal_eval(engines))


def test_zip_from_a_wheel_install(tmp_path):
    """Installed from a wheel, sparkdms/connectors and sparkdms/jobs are folders inside the
    package: the zip is that package directory, every file once."""
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "sparkdms", site / "sparkdms",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for folder in ("connectors", "jobs"):
        shutil.copytree(ROOT / folder, site / "sparkdms" / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = run_isolated(site, "import json; from sparkdms.packaging import code_files; "
                             "files = code_files(); "
                             "print(json.dumps({k: str(v) for k, v in files.items()}))")
    files = json.loads(out)
    assert set(files) == set(code_files())  # the same layout as from the checkout
    assert all(v.startswith(str(site / "sparkdms")) for v in files.values())


# -- sparkdms submit ----------------------------------------------------------------------------

@pytest.fixture
def task(tmp_path):
    path = tmp_path / "sqlite-to-parquet.yaml"
    path.write_text(f"name: t\nsource: {{engine: sqlite, path: {tmp_path}/s.db}}\n"
                    f"target: {{engine: parquet, path: {tmp_path}/out}}\n"
                    "table_mappings: {rules: [{rule-type: selection, rule-id: '1', "
                    "rule-name: '1', object-locator: {schema-name: main, table-name: '%'}, "
                    "rule-action: include}]}\n")
    return str(path)


def test_submit_command_line(task, monkeypatch):
    monkeypatch.setenv("SPARK_SUBMIT", "/opt/spark/bin/spark-submit")
    monkeypatch.delenv("SPARKDMS_JARS_DIR", raising=False)
    monkeypatch.delenv("SPARKDMS_JOB", raising=False)
    cmd = submit.command(task, ["--master", "spark://h:7077", "--", "--report", "r.json"],
                         Path("/tmp/code.zip"))
    assert cmd[0] == "/opt/spark/bin/spark-submit"
    assert cmd[cmd.index("--packages") + 1] == "org.xerial:sqlite-jdbc:3.50.3.0"
    assert cmd[cmd.index("--py-files") + 1] == "/tmp/code.zip"
    assert "spark.sql.session.timeZone=UTC" in cmd
    import sparkdms.jobs

    job = Path(cmd[-4])
    assert job == Path(next(iter(sparkdms.jobs.__path__))) / "full_load.py"
    assert cmd[-3:] == [task, "--report", "r.json"]
    assert cmd[cmd.index("--master") + 1] == "spark://h:7077"
    assert cmd.index("--master") < cmd.index(str(job))  # spark-submit's options before the job


def test_submit_picks_the_job_and_local_jars(task, monkeypatch, tmp_path):
    jars = tmp_path / "jars"
    jars.mkdir()
    (jars / "b.jar").write_text("")
    (jars / "a.jar").write_text("")
    monkeypatch.setenv("SPARKDMS_JARS_DIR", str(jars))
    monkeypatch.setenv("SPARKDMS_JOB", "validate")
    cmd = submit.command(task, [], Path("code.zip"))
    assert cmd[cmd.index("--jars") + 1] == f"{jars}/a.jar,{jars}/b.jar"
    assert "--packages" not in cmd
    assert Path(cmd[-2]).name == "validate.py"
    cmd = submit.command(task, ["--job", "full_load", "--verbose"], Path("code.zip"))
    assert Path(cmd[-2]).name == "full_load.py" and "--job" not in cmd and "--verbose" in cmd
    with pytest.raises(SparkDmsError, match="no sparkdms job 'nope'; jobs: full_load, validate"):
        submit.command(task, ["--job=nope"], Path("code.zip"))


def test_submit_usage_and_missing_task(capsys, tmp_path):
    assert main(["submit"]) == 2
    assert "usage: sparkdms submit TASK" in capsys.readouterr().err
    assert main(["submit", str(tmp_path / "missing.yaml"), "--master", "local"]) == 2
    assert "cannot read task file" in capsys.readouterr().err


def test_spark_submit_sh_is_a_wrapper_over_sparkdms_submit():
    text = (ROOT / "spark-submit.sh").read_text()
    assert 'exec "$PY" -m sparkdms.cli submit "$@"' in text
    proc = subprocess.run([str(ROOT / "spark-submit.sh"), "--help"], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "SPARKDMS_JOB=validate" in proc.stdout
