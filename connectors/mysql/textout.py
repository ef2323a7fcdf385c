"""MySQL/MariaDB as the source of a direct copy between engines: each partition's rows as
the neutral text stream (connectors/wire.py), made by the server.

One SELECT per partition returns one column per row, ``CONCAT_WS`` of the values already in
the stream's form: NULL as ``\\N``, text escaped only when it holds a backslash, tab, newline
or carriage return (a REGEXP test costs little, the REPLACE chain much more), booleans as
``c <> 0`` (what the JDBC read makes of any non-zero TINYINT(1)), binary as ``\\x`` and hex.
Dates, timestamps, decimals and integers are the server's own text, already in the form;
TIMESTAMPs in a ``+00:00`` session (their UTC wall clock); floats as DOUBLE (the server's
text of a FLOAT has only 6 digits; a double's is the shortest exact one); the kinds Spark
carries as text as the DataFrame path's read expression (``read_expr``), escaped. A
zero date goes out as it is: the target refuses it and the load redoes the table through
Spark rows, where ``options.zero_date`` applies.

The executor reads the lines with the ``mariadb`` (or ``mysql``) command-line client where
one is installed: it prints the rows as they come (``--quick``), each line as it is
(``--raw``), far faster than a Python driver's row loop. Its credentials go in an option file
only the process's user can read, removed when the stream closes; a non-zero exit fails the
attempt. Without a client (or with a password an option file cannot hold) PyMySQL reads the
same SELECT row by row.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from sparkdms.connectors.base import TextStream
from sparkdms.connectors.sql import partitions as sqlparts
from sparkdms.connectors.wire import WireColumn, wire_columns

from sparkdms.errors import TransientError
from sparkdms.plan import TablePlan

NULL = "'\\\\N'"  # the SQL literal of the two characters \N
SPECIALS = "'[\\\\\\\\\\t\\n\\r]'"  # a REGEXP class: backslash, tab, newline, carriage return
# (character, its escape) as SQL literals; the backslash first, the others add their own
ESCAPES = (("'\\\\'", "'\\\\\\\\'"), ("'\\t'", "'\\\\t'"), ("'\\n'", "'\\\\n'"),
           ("'\\r'", "'\\\\r'"))
CHUNK = 1 << 20
# backslash escapes in literals whatever the server's default sql_mode says
SESSION = ("SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', ''), "
           "time_zone = '+00:00'")  # and TIMESTAMPs as their UTC wall clock


def _escaped(q: str) -> str:
    out = q
    for raw, esc in ESCAPES:
        out = f"REPLACE({out}, {raw}, {esc})"
    return f"IF({q} REGEXP {SPECIALS}, {out}, {q})"


# form -> the value's text (NULL stays NULL: ``_value`` writes \N)
TEXT: dict[str, Callable[[str], str]] = {
    "integer": lambda q: q,
    "decimal": lambda q: q,
    "boolean": lambda q: f"({q} <> 0)",
    "text": _escaped,
    "date": lambda q: q,
    "timestamp": lambda q: q,
    "timestamptz": lambda q: q,  # a TIMESTAMP in the session's time_zone, UTC (SESSION)
    # a FLOAT's own text has 6 digits; as a DOUBLE, the exact value in the fewest digits
    "float": lambda q: f"CAST({q} AS DOUBLE)",
    "binary": lambda q: f"CONCAT('\\\\\\\\x', HEX({q}))",
}


def _value(connector: Any, plan: TablePlan, c: WireColumn) -> str:
    if c.form == "astext":  # the text the DataFrame path reads (``read_expr``), escaped
        text = _escaped(connector.read_expr(plan.source.column(c.source), plan.peer))
    else:
        text = TEXT[c.form](connector.quote(c.source))
    return f"IFNULL({text}, {NULL})"


def text_stream(connector: Any, plan: TablePlan) -> TextStream | None:
    """One SELECT per partition, its one column the stream's line (without its newline)."""
    cols = wire_columns(plan)
    if cols is None or any(c.form not in TEXT and c.form != "astext" for c in cols):
        return None
    line = f"CONCAT_WS('\\t', {', '.join(_value(connector, plan, c) for c in cols)})"
    base = f"SELECT {line} FROM {connector.qualify(plan.source.schema, plan.source.name)}"
    queries = tuple(base + connector.where_sql(plan.filters, plan.source, [p] if p else [])
                    for p in sqlparts.predicates(plan.partitioning.parts))
    return TextStream(tuple(c.target for c in cols), queries)


# -- executor side -------------------------------------------------------------------------
def client() -> str | None:
    """The command-line client on this machine, if any."""
    return shutil.which("mariadb") or shutil.which("mysql")


def chunks(connector: Any, query: str, program: str | None = None) -> Iterator[bytes]:
    """The lines of ``query``'s rows: through ``program`` (default: the installed client),
    else PyMySQL."""
    program = client() if program is None else program
    options = _option_file(connector) if program else None
    if options is None:
        yield from _driver_chunks(connector, query)
        return
    try:
        yield from _client_chunks(program, options, query)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(options)


def _option_file(connector: Any) -> str | None:
    """A ``[client]`` option file with the endpoint's credentials (mode 0600), or None when
    the password holds a character an option file cannot carry plainly."""
    info = connector.conn_info()
    password = info.password.reveal() if info.password else ""
    plain = all(str(v or "").strip() == str(v or "") for v in (info.host, info.user, password))
    if not (info.host and info.user and plain) or any(ch in password for ch in "\"\\\n\r'#;"):
        return None
    fd, path = tempfile.mkstemp(prefix="sdms-client-", suffix=".cnf")
    with os.fdopen(fd, "w") as f:
        f.write(f"[client]\nhost={info.host}\nport={info.port or connector.default_port}\n"
                f"user={info.user}\npassword=\"{password}\"\nprotocol=tcp\n")
    return path


def _client_chunks(program: str, options: str, query: str) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [program, f"--defaults-extra-file={options}", "--batch", "--raw", "--quick",
             "--skip-column-names", "--default-character-set=utf8mb4", "--connect-timeout=10",
             "-e", f"{SESSION}; {query}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        try:
            assert proc.stdout is not None
            while data := proc.stdout.read1(CHUNK):
                yield data
            if proc.wait() != 0:
                err.seek(0)
                why = err.read().decode("utf-8", "replace").strip().splitlines() or ["?"]
                raise SourceStreamError(f"the source read failed (exit {proc.returncode}): "
                                        f"{why[0]}")
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _driver_chunks(connector: Any, query: str) -> Iterator[bytes]:
    import pymysql.cursors

    conn = connector.connect()
    try:
        with conn.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute(SESSION)
            cur.execute(query)
            while rows := cur.fetchmany(10_000):
                yield ("\n".join(r[0] for r in rows) + "\n").encode()
    finally:
        conn.close()


class SourceStreamError(TransientError):
    """The source's stream stopped with an error: nothing of the attempt commits, Spark
    retries it."""
