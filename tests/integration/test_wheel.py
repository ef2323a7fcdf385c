"""`pip install sparkdms` from the built wheel: `python -m build` makes a wheel and an sdist
(the wheel built from the sdist, so the sdist is complete); the wheel holds only the
sparkdms package (connectors, jobs, log config and example tasks inside it) and its
dist-info; installed into a fresh venv without dependencies, the engines import and the
console script answers --version and --help."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from sparkdms import __version__

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "!!" not in proc.stdout + proc.stderr  # setuptools' "package would be ignored"
    return out


def test_wheel_holds_only_the_sparkdms_package(dist):
    wheel = dist / f"sparkdms-{__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    info = f"sparkdms-{__version__}.dist-info/"
    assert [n for n in names if not n.startswith(("sparkdms/", info))] == []
    expected = {f"sparkdms/{p.relative_to(ROOT / 'sparkdms').as_posix()}"
                for p in (ROOT / "sparkdms").rglob("*.py")}
    expected |= {f"sparkdms/{folder}/{p.relative_to(ROOT / folder).as_posix()}"
                 for folder in ("connectors", "jobs") for p in (ROOT / folder).rglob("*.py")}
    expected |= {f"sparkdms/examples/{p.relative_to(ROOT / 'conf/examples').as_posix()}"
                 for p in (ROOT / "conf" / "examples").rglob("*") if p.is_file()}
    expected.add("sparkdms/conf/log4j2.properties")
    assert {n for n in names if not n.startswith(info)} == expected
    entry_points = zipfile.ZipFile(wheel).read(info + "entry_points.txt").decode()
    assert "sparkdms = sparkdms.cli:main" in entry_points
    assert "postgres = sparkdms.connectors.postgres:ENGINE" in entry_points


def test_sdist_has_the_sources_and_examples(dist):
    names = tarfile.open(dist / f"sparkdms-{__version__}.tar.gz").getnames()
    top = f"sparkdms-{__version__}/"
    for path in ("pyproject.toml", "setup.py", "README.md", "connectors/postgres/__init__.py",
                 "jobs/full_load.py", "conf/examples/postgres-to-mariadb.yaml",
                 "sparkdms/conf/log4j2.properties", "sparkdms/cli.py"):
        assert top + path in names, path


def test_installed_into_a_fresh_venv(dist, tmp_path):
    venv = tmp_path / "venv"
    # a plain venv: no system site-packages, so a file missing from the wheel is missing
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    wheel = dist / f"sparkdms-{__version__}-py3-none-any.whl"
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "--no-deps", "--no-index", "--quiet", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr

    def run(*args: str) -> str:
        done = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    site = run(str(python), "-c", "import sparkdms.connectors.postgres as m, sparkdms.jobs, "
                                  "sparkdms.commands as c; print(m.__file__); "
                                  "print(c.examples_dir())").splitlines()
    assert site[0].startswith(str(venv)) and site[1].startswith(str(venv))
    assert site[1].endswith("site-packages/sparkdms/examples")
    script = str(venv / "bin" / "sparkdms")
    assert run(script, "--version").startswith(f"sparkdms {__version__} (Python 3.")
    help_text = run(script, "--help")
    for command in ("run", "plan", "submit", "test-connection", "tables", "init", "examples"):
        assert f"\n    {command} " in help_text or f"\n    {command}\n" in help_text
    assert "postgres-to-mariadb.yaml" in run(script, "examples")
