"""``sparkdms submit TASK [spark-submit options] [-- sparkdms options]``: run a task under
spark-submit (standalone, YARN/EMR, Kubernetes) from an installed sparkdms.

It finds spark-submit (``$SPARK_SUBMIT``, ``$SPARK_HOME/bin``, else the one pyspark ships),
zips the installed sparkdms for ``--py-files``, passes the JVM parts of the task's two
engines as ``--packages`` (or the jars in ``$SPARKDMS_JARS_DIR`` as ``--jars``) and runs
the job module of ``sparkdms.jobs``: ``full_load`` (``sparkdms run``) or, with
``--job validate`` or ``SPARKDMS_JOB=validate``, ``validate``. Options after ``--`` go to
the job (``--report FILE``, ``--out DIR``). Executors need the Python of
``PYSPARK_PYTHON`` (default: this one) with pyarrow, psycopg and pymysql.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sparkdms.errors import SparkDmsError, TaskConfigError

USAGE = ("usage: sparkdms submit TASK [--job full_load|validate] [spark-submit options ...] "
         "[-- sparkdms options ...]")
BASE_CONF = ("spark.sql.session.timeZone=UTC", "spark.driver.extraJavaOptions=-Duser.timezone=UTC",
             "spark.executor.extraJavaOptions=-Duser.timezone=UTC",
             "spark.ui.showConsoleProgress=false")


def spark_submit() -> str:
    if os.environ.get("SPARK_SUBMIT"):
        return os.environ["SPARK_SUBMIT"]
    if os.environ.get("SPARK_HOME"):
        return str(Path(os.environ["SPARK_HOME"]) / "bin" / "spark-submit")
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / "spark-submit")


def job_file(job: str) -> Path:
    """The job module's file in the installed ``sparkdms.jobs``."""
    import sparkdms.jobs

    folder = Path(next(iter(sparkdms.jobs.__path__)))
    path = folder / f"{job}.py"
    if job.startswith("_") or not path.is_file():
        known = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))
        raise SparkDmsError(f"no sparkdms job {job!r}; jobs: {', '.join(known)}")
    return path


def jvm_args(task: str) -> list[str]:
    """``--jars`` from SPARKDMS_JARS_DIR, else ``--packages`` of the task's engines."""
    folder = os.environ.get("SPARKDMS_JARS_DIR")
    if folder:
        jars = sorted(str(p) for p in Path(folder).glob("*.jar"))
        if not jars:
            raise SparkDmsError(f"SPARKDMS_JARS_DIR={folder} holds no jars "
                                "(scripts/fetch_jars.sh fills it)")
        return ["--jars", ",".join(jars)]
    from sparkdms.jvm import packages_for, task_engines

    packages = packages_for(task_engines(task))
    return ["--packages", ",".join(packages)] if packages else []


def split(args: list[str]) -> tuple[str, list[str], list[str]]:
    """(job, spark-submit options, sparkdms options) of what follows the task file."""
    submit_args, app_args = args, []
    if "--" in args:
        at = args.index("--")
        submit_args, app_args = args[:at], args[at + 1:]
    job = os.environ.get("SPARKDMS_JOB") or "full_load"
    rest: list[str] = []
    i = 0
    while i < len(submit_args):  # spark-submit has no --job: it is ours
        arg = submit_args[i]
        if arg == "--job" and i + 1 < len(submit_args):
            job, i = submit_args[i + 1], i + 2
            continue
        if arg.startswith("--job="):
            job = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return job, rest, app_args


def command(task: str, args: list[str], code: Path) -> list[str]:
    job, submit_args, app_args = split(args)
    conf = [item for c in BASE_CONF for item in ("--conf", c)]
    return [spark_submit(), "--name", f"sparkdms {Path(task).name}", *jvm_args(task),
            "--py-files", str(code), *conf, *submit_args, str(job_file(job)), task, *app_args]


def submit(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE + "\n\n" + __doc__.split("\n\n", 1)[1].strip(), file=sys.stderr)
        return 2
    task = argv[0]
    if not Path(task).is_file():
        raise TaskConfigError(task, "cannot read task file: no such file")
    task = str(Path(task).resolve())
    from sparkdms.packaging import code_zip

    folder = Path(tempfile.mkdtemp(prefix="sparkdms-submit-"))
    try:
        cmd = command(task, argv[1:], code_zip(folder / "sparkdms-code.zip"))
        env = {**os.environ, "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON") or sys.executable}
        return subprocess.run(cmd, env=env).returncode
    finally:
        shutil.rmtree(folder, ignore_errors=True)
