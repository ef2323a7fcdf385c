"""explain(): the one line a user sees for an error, from realistic error texts (the text
of PySpark's PythonException, of a Py4JJavaError, of a py4j network error) built here the
way PySpark 4 and the drivers print them."""

from __future__ import annotations

import pytest

from sparkdms.errors import TableLoadError
from sparkdms.explain import MEMORY, explain
from sparkdms.task.secrets import Secret

WORKER = "An exception was thrown from the Python worker:\n"
TB = "Traceback (most recent call last):\n"
FRAMES = ('  File "/opt/spark/python/lib/pyspark.zip/pyspark/worker.py", line 2095, in process\n'
          "    serializer.dump_stream(out_iter, outfile)\n"
          '  File "/work/main/connectors/sql/writer.py", line 72, in commit_partition\n'
          "    rows = fill(connector, cur)\n"
          "           ^^^^^^^^^^^^^^^^^^^^\n")
CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
DURING = "\nDuring handling of the above exception, another exception occurred:\n\n"
JVM_TAIL = ("\n\tat org.apache.spark.api.python.BasePythonRunner$ReaderIterator.handlePython"
            "Exception(PythonRunner.scala:612)\n\tat org.apache.spark.scheduler.Task.run("
            "Task.scala:147)\n")
JOB = ("An error occurred while calling o412.collectToPython.\n: org.apache.spark.SparkException: "
       "Job aborted due to stage failure: Task 0 in stage 3.0 failed 3 times, most recent "
       "failure: Lost task 0.2 in stage 3.0 (TID 9) (10.0.0.5 executor 1): ")

CASES = [
    ("a Python error on an executor: the worker's last line, not the banner",
     WORKER + TB + FRAMES + "OverflowError: date value out of range\n",
     "OverflowError: date value out of range"),
    ("our own error raised from the driver's: our message (column, value, first cause)",
     WORKER + TB + FRAMES + "pymysql.err.ProgrammingError: nan can not be used with MySQL\n"
     + CAUSE + TB + FRAMES + "sparkdms.connectors.sql.refusal.RowsRefusedError: table db.t: "
     "write failed: the target refused column score, value NaN (row 3 of a batch of 10): NaN "
     "or infinity, which the target cannot store; first cause: ProgrammingError: nan can not "
     "be used with MySQL" + JVM_TAIL,
     "table db.t: write failed: the target refused column score, value NaN (row 3 of a batch "
     "of 10): NaN or infinity, which the target cannot store; first cause: ProgrammingError: "
     "nan can not be used with MySQL"),
    ("a failed rollback does not hide the first error, a lost connection",
     WORKER + TB + FRAMES + "pymysql.err.OperationalError: (2013, 'Lost connection to server "
     "during query')\n" + DURING + TB + FRAMES + "pymysql.err.InterfaceError: (0, '')\n",
     "the target connection was lost (server restarted or killed?) (first cause: "
     "OperationalError: (2013, 'Lost connection to server during query'))"),
    ("a bare MariaDB InterfaceError (0, '')",
     WORKER + TB + FRAMES + "pymysql.err.InterfaceError: (0, '')\n",
     "the target connection was lost (server restarted or killed?) (first cause: "
     "InterfaceError: (0, ''))"),
    ("PostgreSQL target killed under psycopg",
     WORKER + TB + FRAMES + "psycopg.OperationalError: consuming input failed: server closed "
     "the connection unexpectedly\n\tThis probably means the server terminated abnormally\n",
     "the target connection was lost (server restarted or killed?) (first cause: "
     "OperationalError: consuming input failed: server closed the connection unexpectedly)"),
    ("a row over max_allowed_packet",
     WORKER + TB + FRAMES + "pymysql.err.OperationalError: (1153, \"Got a packet bigger than "
     "'max_allowed_packet' bytes\")\n",
     "a row or batch is larger than the target's max_allowed_packet: raise max_allowed_packet "
     "on the server or lower FullLoadSettings.CommitRate (first cause: OperationalError: "
     "(1153, \"Got a packet bigger than 'max_allowed_packet' bytes\"))"),
    ("an executor out of memory in a JVM job",
     JOB + "java.lang.OutOfMemoryError: Java heap space\n\tat java.base/java.util.Arrays."
     "copyOf(Arrays.java:3541)\n\nDriver stacktrace:\n\tat org.apache.spark.scheduler."
     "DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2935)\n",
     f"{MEMORY} (first cause: OutOfMemoryError: Java heap space)"),
    ("the driver JVM died (py4j sees connection refused)",
     "An error occurred while trying to connect to the Java server (127.0.0.1:40413)\n" + TB
     + '  File "/venv/lib/python3.11/site-packages/py4j/clientserver.py", line 506, in '
     "connect_to_java_server\n    self.socket.connect((self.java_address, self.java_port))\n"
     "ConnectionRefusedError: [Errno 111] Connection refused\n",
     "the Spark driver JVM is gone (py4j: connection refused), most often because it ran out "
     "of memory: raise spark.driver.memory / spark.executor.memory or lower "
     "Sparkdms.FetchSize/CommitRate (first cause: ConnectionRefusedError: [Errno 111] "
     "Connection refused)"),
    ("the source server restarted during a JDBC read: the deepest Java cause",
     JOB + "org.postgresql.util.PSQLException: An I/O error occurred while sending to the "
     "backend.\n\tat org.postgresql.core.v3.QueryExecutorImpl.execute(QueryExecutorImpl.java:"
     "395)\nCaused by: java.io.EOFException: EOF Exception\n\tat org.postgresql.core."
     "VisibleBufferedInputStream.receive(VisibleBufferedInputStream.java:1)\n",
     "the source connection was lost during the read (server restarted or killed?) (first "
     "cause: EOFException: EOF Exception)"),
    ("an exception class that does not end in Error",
     WORKER + TB + FRAMES + "pyarrow.lib.ArrowInvalid: Float value 1.5 was truncated "
     "converting to int64\n",
     "ArrowInvalid: Float value 1.5 was truncated converting to int64"),
    ("an exception with no message",
     WORKER + TB + FRAMES + "MemoryError\n",
     "MemoryError"),
    ("a JVM error with no Python in it",
     "An error occurred while calling o84.jdbc.\n: java.sql.SQLSyntaxErrorException: (conn=31) "
     "Table 'db.nope' doesn't exist\n\tat org.mariadb.jdbc.export.ExceptionFactory."
     "createException(ExceptionFactory.java:306)\n",
     "SQLSyntaxErrorException: (conn=31) Table 'db.nope' doesn't exist"),
]


@pytest.mark.parametrize(("case", "text", "line"), CASES, ids=[c[0] for c in CASES])
def test_an_error_text_becomes_one_line(case, text, line):
    got = explain(Exception(text), [])
    assert got == line
    assert "\n" not in got


def test_a_missing_jdbc_driver_says_which_package():
    text = ("An error occurred while calling o84.jdbc.\n: java.lang.ClassNotFoundException: "
            "org.postgresql.Driver\n\tat java.base/java.net.URLClassLoader.findClass("
            "URLClassLoader.java:445)\n")
    got = explain(Exception(text), [])
    assert got.startswith("JDBC driver class org.postgresql.Driver is not on the Spark classpath")


def test_our_errors_pass_as_they_are_and_secrets_never_show():
    secret = Secret("hunter2-pw")
    err = TableLoadError("public.t", "write", "login as bob:hunter2-pw refused")
    assert explain(err, [secret]) == "table public.t: write failed: login as bob:**** refused"
    text = WORKER + TB + FRAMES + ("psycopg.OperationalError: connection to server failed: "
                                   "password hunter2-pw rejected\n")
    assert "hunter2-pw" not in explain(Exception(text), [secret])
