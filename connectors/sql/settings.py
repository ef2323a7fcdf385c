"""Settings every JDBC-read engine registers (imported by the engine packages' specs)."""

from sparkdms.task.settings import Setting

SQL_SETTINGS = {
    "Sparkdms.FetchSize": Setting(int, 10_000, minimum=1),  # rows per JDBC fetch
}
