"""The session side of a relational engine: its endpoint, DB-API connection and queries,
quoting and literals, and filters rendered as SQL."""

from __future__ import annotations

import contextlib
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from sparkdms.connectors.base import Connector
from sparkdms.connectors.sql.filters import filter_sql, where_sql
from sparkdms.connectors.sql.urls import ConnInfo, parse_url, strip_credentials

from sparkdms.catalog import Table
from sparkdms.errors import EndpointError, TaskConfigError
from sparkdms.plan import Filter
from sparkdms.task import Endpoint
from sparkdms.task.secrets import Secret, redact


def raw_rows(rows: Sequence[Any]) -> list[tuple]:
    return [tuple(r) for r in rows]


class SqlSession(Connector):
    """Endpoint, connection, queries and quoting: what the other parts of ``SqlConnector``
    build on."""

    driver_class: ClassVar[str]
    url_scheme: ClassVar[str]
    # URL schemes accepted besides jdbc: (``postgresql:``), rewritten to url_scheme for JDBC
    native_url_schemes: ClassVar[tuple[str, ...]] = ()
    default_port: ClassVar[int] = 0
    connect_errors: ClassVar[tuple[tuple[str, str], ...]] = ()
    # options.jdbc.* properties that carry secrets: redacted like the password
    secret_options: ClassVar[tuple[str, ...]] = ("jdbc.password", "jdbc.sslpassword")
    endpoint_options: ClassVar[tuple[str, ...]] = ("jdbc",)  # JDBC driver properties

    @property
    def family(self) -> str:
        return self.dialect.family

    # -- endpoint --------------------------------------------------------------------------
    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        if endpoint.url:
            if not endpoint.url.startswith(("jdbc:", *(f"{s}//" for s in cls.native_url_schemes))):
                native = "".join(f" or {s}//..." for s in cls.native_url_schemes)
                raise TaskConfigError(f"{endpoint.role}.url", f"must be a JDBC URL (jdbc:...{native})")
            return
        for key in ("host", "database", "user"):
            if not getattr(endpoint, key):
                raise TaskConfigError(f"{endpoint.role}.{key}",
                                      f"missing; {endpoint.engine} needs host, database, user "
                                      "(or url)")

    def conn_info(self) -> ConnInfo:
        """Where and as whom to connect: the endpoint's keys, else what its url says
        (``user:password@host``, ``?user=&password=``)."""
        e = self.endpoint
        u = parse_url(e.url) if e.url else ConnInfo()
        return ConnInfo(host=e.host or u.host, port=e.port or u.port or self.default_port or None,
                        database=e.database or u.database, user=e.user or u.user,
                        password=e.password or u.password, params=u.params)

    def jdbc_url(self) -> str:
        """The URL Spark reads with: without credentials (they go as properties, which
        Spark redacts); a native URL (``postgresql://``) in the engine's JDBC scheme."""
        e = self.endpoint
        if e.url:
            url = strip_credentials(e.url)
            for scheme in self.native_url_schemes:
                if url.startswith(f"{scheme}//"):
                    return self.url_scheme + url.removeprefix(scheme)
            return url
        return f"{self.url_scheme}//{e.host}:{e.port or self.default_port}/{e.database}"

    def jdbc_properties(self) -> dict[str, str]:
        props = {"driver": self.driver_class}
        info = self.conn_info()
        if info.user:
            props["user"] = info.user
        if info.password:
            props["password"] = info.password.reveal()
        props.update({k: v.reveal() if isinstance(v, Secret) else str(v)
                      for k, v in self.endpoint.options.get("jdbc", {}).items()})
        return props

    @abstractmethod
    def connect(self) -> Any:
        """A DB-API connection (psycopg / pymysql / sqlite3); autocommit off."""

    def check_connection(self) -> None:
        try:
            conn = self.connect()
        except Exception as err:  # driver-specific classes; message is what matters
            raise EndpointError(self.endpoint.role, self.engine,
                                self._explain(err)) from None
        conn.close()

    def _explain(self, err: BaseException) -> str:
        text = redact(str(err).strip().splitlines()[0] if str(err).strip() else repr(err),
                      self.endpoint.secrets)
        for needle, meaning in self.connect_errors:
            if needle in text.lower():
                return f"{meaning} ({text}) at {self.endpoint.describe()}"
        return f"cannot connect to {self.endpoint.describe()}: {text}"

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        conn = self.connect()
        try:
            cur = conn.cursor()
            if params is None:
                cur.execute(sql)
            else:
                cur.execute(sql, tuple(params))
            rows = raw_rows(cur.fetchall()) if cur.description else []
            conn.commit()
            return rows
        finally:
            conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor on a fresh connection: committed when the block ends, rolled back when
        it raises; the connection is closed either way."""
        conn = self.connect()
        try:
            yield conn.cursor()
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            conn.close()

    def execute_all(self, statements: Sequence[str | tuple[str, tuple]]) -> None:
        """Run statements in one transaction (where the engine allows); an item may be
        (sql, params) for values that must be bound."""
        with self.transaction() as cur:
            for item in statements:
                if isinstance(item, tuple):
                    cur.execute(*item)
                else:
                    cur.execute(item)

    # -- quoting ---------------------------------------------------------------------------
    def quote(self, name: str) -> str:
        return self.dialect.quote(name)

    def qualify(self, schema: str, name: str) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}" if schema else self.quote(name)

    def literal(self, value: Any) -> str:
        """A SQL literal for a value; used only where the JDBC read cannot bind."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return repr(value)
        text = str(value).replace("'", "''")
        if "\\" in text and self.backslash_escapes:
            text = text.replace("\\", "\\\\")
        return f"'{text}'"

    backslash_escapes: ClassVar[bool] = False
    P: ClassVar[str] = "%s"  # DB-API placeholder of the Python driver

    def filter_sql(self, f: Filter, table: Table) -> str:
        return filter_sql(f, table, self.quote, self.literal)

    def where_sql(self, filters: Sequence[Filter], table: Table, extra: Sequence[str] = ()) -> str:
        return where_sql(filters, table, self.quote, self.literal, extra)
