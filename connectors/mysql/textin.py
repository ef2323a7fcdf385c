"""MySQL/MariaDB as the target of a direct copy between engines: one partition of the
source's neutral text stream (connectors/wire.py) loaded with ``LOAD DATA LOCAL INFILE``.

The statement is the bulk writer's (connectors/mysql/bulk.py ``load_sql``): tab-separated,
``\\`` the escape, ``\\N`` NULL, which reads the stream's form as it is. Binary columns go
through a user variable, ``UNHEX`` of the hex after the stream's ``\\x``; the staging
table's attempt tag is set as a constant. The file is a named pipe in a private temporary
directory, fed by a thread from the source's chunks while PyMySQL sends it to the server,
so no partition is ever held in memory or on disk. The thread opens the pipe only once LOAD
DATA has opened it (a non-blocking open, retried), so a statement that fails before it asks
for the file leaves no thread waiting; the pipe's name is removed as soon as both ends are
open. Any source with a text stream qualifies, MariaDB/MySQL itself included.

With LOCAL the server cannot stop the upload: a value it cannot store is a warning (the row
cut or skipped), never an error. So a load that left a warning, or loaded another number of
rows than lines were sent, fails the attempt as a refusal (``direct.refused``), and the
driver redoes the table through Spark rows, where the error policy applies row by row. The
session adds ``NO_ZERO_DATE`` and ``NO_ZERO_IN_DATE`` to its sql_mode, so a zero date is a
warning too (the DataFrame path never writes one). A server with ``local_infile`` off is
a refusal as well. A source stream that fails part-way fails the attempt after LOAD DATA
returns, before anything commits.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

from sparkdms.connectors.base import ATTEMPT_COLUMN
from sparkdms.connectors.mysql import bulk
from sparkdms.connectors.wire import blocker as wire_blocker
from sparkdms.connectors.wire import wire_columns

from sparkdms.plan import TablePlan

# form -> SET expression of its user variable (None: loaded as it is)
SETS: dict[str, str | None] = {
    "integer": None, "decimal": None, "boolean": None, "text": None, "date": None,
    "timestamp": None, "timestamptz": None, "float": None, "astext": None,
    "binary": "UNHEX(SUBSTRING({v}, 3))",
}
STRICT_DATES = ("SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@sql_mode, ''), "
                "'NO_ZERO_DATE', 'NO_ZERO_IN_DATE')")
OPEN_POLL = 0.005  # seconds between tries to open the pipe's write end
JOIN_AFTER_FAILURE = 30.0  # seconds to wait for the feeding thread after a failed LOAD


def can_copy(connector: Any, source: Any, plan: TablePlan, settings: Any) -> bool:
    """The source's text stream of the table loads into this target exactly."""
    from sparkdms.connectors.sql import direct

    if not direct.wanted(plan, settings) or not connector.endpoint.options.get("bulk_load", True):
        return False
    cols = wire_columns(plan)
    if cols is None or any(c.form not in SETS for c in cols):
        return False
    return source.text_stream(plan) is not None


def blocker(connector: Any, source: Any, plan: TablePlan) -> str:
    """Why ``can_copy`` is False (the setting, rule or column), for ``sparkdms plan``."""
    if not connector.endpoint.options.get("bulk_load", True):
        return "the target's bulk_load option is off"
    why = wire_blocker(plan, SETS)
    if why is None and source.text_stream(plan) is None:
        why = f"the {source.engine} source has no text stream of it"
    return why or ""


def statement(connector: Any, cur: Any, spec: Any, attempt: int) -> str:
    """The partition's LOAD DATA: binary columns (by the staging table's types) through
    UNHEX, the attempt tag set where the target tags rows."""
    cur.execute("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (spec.schema, spec.stage_table))
    types = {str(n).lower(): str(t).lower() for n, t in cur.fetchall()}
    settings = [SETS["binary"] if types.get(name.lower()) in bulk.BINARIES else None
                for name in spec.columns]
    extra = (f"{connector.quote(ATTEMPT_COLUMN)} = {int(attempt)}",) if connector.tags_rows \
        else ()
    return bulk.load_sql(connector, spec, settings, extra)


class Feeder(threading.Thread):
    """Writes the chunks into the pipe once its reader opens it; counts the lines. A
    source's error is kept (``error``), the pipe then closed, so the reader sees its end."""

    def __init__(self, path: str, chunks: Iterator[bytes]) -> None:
        super().__init__(name="sdms-text-feed", daemon=True)
        self.path, self.chunks = path, chunks
        self.stop = threading.Event()
        self.lines = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        fd = self._open()
        if fd is None:
            return
        remove(self.path)  # both ends are open: the name is no longer needed
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in self.chunks:
                    self.lines += chunk.count(b"\n")
                    out.write(chunk)
        except BrokenPipeError:
            pass  # the reader went away: LOAD DATA failed, its error is the one
        except BaseException as err:  # the source's stream failed
            self.error = err

    def _open(self) -> int | None:
        """The write end, once LOAD DATA opened the read end; None when stopped first (the
        statement failed before it asked for the file)."""
        while not self.stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as err:
                if err.errno != errno.ENXIO:  # ENXIO: no reader yet
                    self.error = err
                    return None
                self.stop.wait(OPEN_POLL)
                continue
            os.set_blocking(fd, True)
            return fd
        return None

    def finish(self, failed: bool) -> None:
        self.stop.set()
        self.join(JOIN_AFTER_FAILURE if failed else None)


class LoadRefused(Exception):
    """LOAD DATA stored not exactly the lines it was sent."""


@contextlib.contextmanager
def pipe() -> Iterator[str]:
    """A named pipe in a directory only this user can open, removed on the way out (the
    feeder removes it as soon as both ends are open, so a killed task leaves nothing)."""
    folder = tempfile.mkdtemp(prefix="sdms-text-")
    path = os.path.join(folder, "rows.tsv")
    try:
        os.mkfifo(path, 0o600)
        yield path
    finally:
        remove(path)


def remove(path: str) -> None:
    """The pipe and its directory, if still there."""
    with contextlib.suppress(OSError):
        os.unlink(path)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(path))


def load(connector: Any, cur: Any, spec: Any, chunks: Iterator[bytes], attempt: int) -> int:
    """One partition's stream into the staging table; rows loaded."""
    import pymysql
    from sparkdms.connectors.sql import direct

    sql = statement(connector, cur, spec, attempt)
    cur.execute(STRICT_DATES)
    with pipe() as path:
        feeder = Feeder(path, chunks)
        feeder.start()
        failed = True
        try:
            with bulk.answering_file_requests(cur.connection):
                cur.execute(sql, (path,))
            failed = False
        except pymysql.err.MySQLError as err:
            code = err.args[0] if err.args and isinstance(err.args[0], int) else None
            if code in bulk.LOCAL_REFUSED:  # LOCAL off: Spark rows instead
                raise direct.refused(LoadRefused(f"table {spec.table_key}: LOAD DATA LOCAL "
                                                 f"refused: {err}")) from err
            raise
        finally:
            feeder.finish(failed)
    if feeder.error is not None:
        raise feeder.error
    loaded, warnings = cur.rowcount, cur.warning_count
    if warnings or loaded != feeder.lines:
        raise direct.refused(LoadRefused(_why(cur, spec, loaded, feeder.lines, warnings)))
    return loaded


def _why(cur: Any, spec: Any, loaded: int, lines: int, warnings: int) -> str:
    """The first warning's text, with the counts."""
    first = ""
    if warnings:
        cur.execute("SHOW WARNINGS LIMIT 1")
        row = cur.fetchone()
        first = f"{row[2]} ({row[0]} {row[1]}); " if row else ""
    return (f"table {spec.table_key}: {first}LOAD DATA stored {loaded} of {lines} row(s) "
            f"with {warnings} warning(s)")
