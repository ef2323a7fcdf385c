"""Validation hooks shared by the relational engines: the ``SqlValidation`` a DB-API
connector gives ``sparkdms.validate`` (given the engine's canonical-text renderer and
session statements), AWS DMS's failures table written through DB-API, and the SQLAlchemy
URL and reflected types great-expectations uses. Each engine package supplies what differs
(``connectors/<engine>/validation.py``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sparkdms.validate.failures import COLUMNS, FAILURES_TABLE

if TYPE_CHECKING:
    from sparkdms.connectors.sql.connector import SqlConnector

    from sparkdms.catalog import Column, Table
    from sparkdms.plan import Filter, TablePlan
    from sparkdms.task.settings import Settings
    from sparkdms.validate.canon import Renderer
    from sparkdms.validate.failures import FailureRow


class ConnectorSql:
    """A relational connector as a ``SqlValidation``: checksums computed in its database."""

    def __init__(self, connector: SqlConnector, renderer: type[Renderer], session: Sequence[str] = (),
                 json_peers: frozenset[str] = frozenset(),
                 native_hash: tuple[str, Callable[[tuple[Any, ...]], str | None]] | None = None
                 ) -> None:
        """``native_hash``: a query of the server and what makes its answer a
        ``native_hash_key`` (the engine's ``Renderer.native_row_hash`` needs one)."""
        self.connector = connector
        self.renderer = renderer(connector.quote)
        self.session = tuple(session)
        self.placeholder = connector.P
        self.json_peers = json_peers
        self._native_hash = native_hash
        self._native_key: list[str | None] = []  # asked once

    def native_hash_key(self) -> str | None:
        if self._native_hash is None:
            return None
        if not self._native_key:
            query, key_of = self._native_hash
            conn = self.connect()
            try:
                cur = conn.cursor()
                cur.execute(query)
                self._native_key.append(key_of(tuple(cur.fetchone())))
                conn.rollback()
            finally:
                conn.close()
        return self._native_key[0]

    def connect(self) -> Any:
        return self.connector.connect()

    def qualify(self, schema: str, name: str) -> str:
        return self.connector.qualify(schema, name)

    def literal(self, value: Any) -> str:
        return self.connector.literal(value)

    def filter_sql(self, f: Filter, table: Table) -> str:
        return self.connector.filter_sql(f, table)

    def wire_form(self, column: Column, peer: str) -> tuple[str, Any] | None:
        """The load reads the column as ``read_expr``: when that is more than the column
        (or its own text), the expression and the Spark type it arrives in."""
        plain = self.connector.quote(column.name)
        expr = self.connector.read_expr(column, peer)
        if expr in (plain, self.renderer.text(plain)):
            return None
        return expr, self.connector.wire_type(column)


class FailuresTable:
    """A ``FailureStore``: ``awsdms_validation_failures_v1`` in the target's control schema,
    created with ``column_types`` (AWS DMS's, in the engine's DDL)."""

    def __init__(self, connector: SqlConnector, settings: Settings,
                 column_types: Sequence[str]) -> None:
        self.connector, self.settings, self.column_types = connector, settings, tuple(column_types)
        self.ready: set[str] = set()  # schemas where the table is known to exist

    def name(self, plan: TablePlan) -> tuple[str, str]:
        schema = self.connector.control_schema(plan, self.settings)
        return schema, self.connector.qualify(schema, FAILURES_TABLE)

    def location(self, plan: TablePlan) -> str:
        return f"table {self.name(plan)[1]}"

    def write(self, plan: TablePlan, task: str, rows: Sequence[FailureRow]) -> None:
        t, p = self.connector, self.connector.P
        schema, name = self.name(plan)
        cols = [t.quote(c) for c in COLUMNS]
        statements = [] if schema in self.ready else [
            *t.ensure_schema_sql(schema),
            f"CREATE TABLE IF NOT EXISTS {name} ("
            + ", ".join(f"{c} {ty} NOT NULL" for c, ty in zip(cols, self.column_types, strict=True))
            + ")"]
        conn = t.connect()
        try:
            cur = conn.cursor()
            for sql in statements:
                cur.execute(sql)
            conn.commit()
            cur.execute(f"DELETE FROM {name} WHERE {cols[0]} = {p} AND {cols[1]} = {p} "
                        f"AND {cols[2]} = {p}", (task, plan.source.schema, plan.source.name))
            if rows:
                marks = ", ".join([p] * len(COLUMNS))
                cur.executemany(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({marks})",
                                [r.values() for r in rows])
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        finally:
            conn.close()
        self.ready.add(schema)


def sqlalchemy_url(connector: SqlConnector, driver: str) -> str | None:
    """The endpoint as a SQLAlchemy URL (password included), or None: no SQLAlchemy, or an
    endpoint given as a JDBC URL."""
    e = connector.endpoint
    if e.url or not e.host:
        return None
    try:
        from sqlalchemy.engine import URL
    except ImportError:
        return None
    url = URL.create(driver, username=e.user, password=e.password.reveal() if e.password else None,
                     host=e.host, port=e.port or connector.default_port, database=e.database)
    return url.render_as_string(hide_password=False)


def sqlalchemy_type(module: Any, native: str,
                    timestamp: Callable[[type, bool, int | None], Any] | None = None) -> Any:
    """The SQLAlchemy type a column created as ``native`` reflects as in the dialect
    ``module`` (``sqlalchemy.dialects.<x>.base``), or None. ``timestamp`` builds TIMESTAMP and
    TIME for dialects whose types carry the time zone and precision (class, tz, precision)."""
    from sparkdms.types import parse_native

    parsed = parse_native(native.lower())
    cls = module.ischema_names.get(native.lower()) or module.ischema_names.get(parsed.name)
    if cls is None:
        return None
    args = [int(a) for a in parsed.args if a.strip().isdigit()]
    if cls.__name__ in ("TIMESTAMP", "TIME") and timestamp is not None:
        tz = "with time zone" in parsed.suffix or parsed.name.endswith("tz")
        return timestamp(cls, tz, args[0] if args else None)
    try:
        return cls(*args)
    except TypeError:
        return cls()


class SqlAlchemyTarget:
    """An ``ExpectationsSql``: great-expectations queries the target at ``url``; a column's
    type is what SQLAlchemy's dialect reflects it as, by ``reflect``; its name, by ``name``
    (as it is, unless the dialect's reflection misreads some names)."""

    def __init__(self, url: str, reflect: Callable[[str], str | None],
                 name: Callable[[str], str] | None = None) -> None:
        self.url, self.reflect, self.name = url, reflect, name

    def reflected_type(self, native: str) -> str | None:
        return self.reflect(native)

    def reflected_name(self, name: str) -> str:
        return self.name(name) if self.name is not None else name
