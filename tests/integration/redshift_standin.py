"""A PostgreSQL server as a wire-compatible stand-in for Redshift (no cluster is available
to the tests). ``PgStandIn`` is the Redshift connector with only what PostgreSQL lacks
replaced:

- COPY from S3: the stand-in reads the manifest and the staged Parquet files from the S3
  endpoint (moto) and loads their rows with PostgreSQL's ``COPY ... FROM STDIN``; the COPY
  statement the connector would run is still rendered (credentials revealed) and must parse
  as Redshift SQL; every staged file and its rows are kept in ``SEEN`` for the test;
- Redshift types and table attributes in the DDL: ``super`` -> ``jsonb``, ``varbyte(n)`` ->
  ``bytea``, no DISTSTYLE/DISTKEY/SORTKEY (they are checked, then left out);
- ``JSON_PARSE(x)`` -> ``CAST(x AS jsonb)``, ``JSON_SERIALIZE(x)`` -> ``CAST(x AS text)``;
- reads back through PostgreSQL's JDBC driver.

Everything else -- the staging write through s3a, the file count, the manifest, the
statements and their order, the one transaction per table, the staging clean-up -- is the
connector's own code."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from typing import Any

import sqlglot
from sparkdms.connectors.aws.session import client
from sparkdms.connectors.base import EngineSpec
from sparkdms.connectors.redshift import ENGINE as REDSHIFT_ENGINE
from sparkdms.connectors.redshift import statements as sql
from sparkdms.connectors.redshift.connector import RedshiftConnector

SEEN: list[dict[str, Any]] = []  # one entry per COPY: statement, manifest, files, rows
TYPES = ((re.compile(r"\bsuper\b"), "jsonb"), (re.compile(r"\bvarbyte\(\d+\)"), "bytea"))


def pg_types(statement: str) -> str:
    for pattern, text in TYPES:
        statement = pattern.sub(text, statement)
    return statement


class PgStandIn(RedshiftConnector):
    engine = "redshift-pg"
    url_scheme = "jdbc:postgresql:"
    driver_class = "org.postgresql.Driver"
    json_parse = "CAST({} AS jsonb)"
    json_text = "CAST({} AS text)"

    def connect(self) -> Any:
        conn = super().connect()
        conn.execute("SET TIME ZONE 'UTC'")
        conn.commit()
        return conn

    def table_attributes(self, plan: Any) -> str:
        self.attributes_seen = super().table_attributes(plan)  # checked, not run
        return ""

    def load_sql(self, plan: Any, mode: str, manifest: str) -> sql.LoadSql:
        load = super().load_sql(plan, mode, manifest)
        return replace(load, statements=tuple(pg_types(s) for s in load.statements))

    def run_copy(self, cur: Any, plan: Any, table: str, columns: Any, staged: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        statement = self.copy_statement(table, columns, staged.manifest, reveal=True)
        assert isinstance(sqlglot.parse_one(statement, read="redshift"), sqlglot.exp.Copy)
        s3 = client(self.endpoint, "s3")
        bucket, _, key = staged.manifest.removeprefix("s3://").partition("/")
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        quoted = ", ".join(self.quote(c) for c in columns)
        rows: list[tuple] = []
        for entry in manifest["entries"]:
            b, _, k = entry["url"].removeprefix("s3://").partition("/")
            body = s3.get_object(Bucket=b, Key=k)["Body"].read()
            assert len(body) == entry["meta"]["content_length"]
            data = pq.read_table(io.BytesIO(body))
            data = data.cast(pa.schema([pa.field(f.name, pa.timestamp("us", f.type.tz))
                                        if pa.types.is_timestamp(f.type) else f
                                        for f in data.schema]))
            rows += list(zip(*[c.to_pylist() for c in data.columns], strict=True))
        with cur.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        SEEN.append({"statement": statement, "manifest": manifest, "rows": rows,
                     "table": table})


STANDIN = EngineSpec(name="redshift-pg", connector="tests.integration.redshift_standin:PgStandIn",
                     dialect=REDSHIFT_ENGINE.dialect, settings=REDSHIFT_ENGINE.settings,
                     summary="tests: Redshift connector on PostgreSQL")
