"""The driver JVM's class archive with a real JVM: a SparkSession built by sparkdms maps its
classes from the archive, and an archive cut short (which crashes a JVM that maps it) costs
one failed start, not the run: the session starts without it and the archive is dropped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sparkdms import classarchive

START = """
import sys
from sparkdms.spark import build_session
conf = {"spark.ui.enabled": "false", "spark.driver.extraJavaOptions": sys.argv[1]}
spark = build_session("class-archive-test", "local[1]", [], conf, {})
print("rows", spark.range(1000).count())
"""


@pytest.fixture(scope="module")
def built() -> Path:
    path = classarchive.archive() or classarchive.build(say=lambda _: None)
    if path is None:
        pytest.fail(f"no class archive could be built; see {classarchive.build_log()}")
    return path


def start(options: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", START, options], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, **(env or {}),
                                                     "PYSPARK_PYTHON": sys.executable})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_session_loads_its_classes_from_the_archive(built: Path, tmp_path: Path) -> None:
    loads = tmp_path / "class-load.log"
    assert "rows 1000" in start(f"-Xlog:class+load=info:file={loads}", tmp_path)
    text = loads.read_text()
    assert "org.apache.spark.SparkContext source: shared objects file (top)" in text
    # and without it, the same class comes from Spark's jar
    off = tmp_path / "off.log"
    assert "rows 1000" in start(f"-Xlog:class+load=info:file={off}", tmp_path,
                                {classarchive.ENV: "0"})
    assert "org.apache.spark.SparkContext source: shared objects file" not in off.read_text()


def test_an_archive_cut_short_is_dropped_and_the_session_starts(built: Path,
                                                                tmp_path: Path) -> None:
    env = {"SPARKDMS_CACHE": str(tmp_path)}
    os.environ.update(env)
    try:
        cut = classarchive.archive_path(classarchive.key() or "")
        cut.parent.mkdir(parents=True)
        with built.open("rb") as whole:
            cut.write_bytes(whole.read(50 << 20))
        cut.with_suffix(".size").write_text(str(50 << 20))
        assert classarchive.archive() == cut  # looks whole by its recorded size
    finally:
        for k in env:
            os.environ.pop(k)
    work = tmp_path / "cwd"
    work.mkdir()
    assert "rows 1000" in start("-Dsparkdms.test=1", work, env)
    assert not cut.exists()
    assert not list(work.iterdir())  # the crash report of the failed start is not left here
    assert list(cut.parent.glob("jvm-crash-*.log"))
