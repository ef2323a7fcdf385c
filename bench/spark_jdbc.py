"""The plain Spark load a data engineer writes without sparkdms: `spark.read.jdbc(...)` split
on the key into one partition per core, then `.write.jdbc(...)` (a peer of `make bench`,
run by bench/peers.py with the project's virtualenv).

It uses the JDBC drivers sparkdms uses (the same Maven coordinates, from the same local jar
cache, so neither pays Ivy resolution), a UTC session, a fetch size of 10,000 and batches of
10,000 rows (MariaDB: `rewriteBatchedStatements`); Spark creates the target table. Connection
settings come from the environment only (BENCH_SRC_*, BENCH_DST_*: engine, host, port,
database, user, password, table); nothing is printed but Spark's errors.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# the JDBC drivers of connectors/postgres and connectors/mysql (same coordinates)
PACKAGES = ["org.mariadb.jdbc:mariadb-java-client:3.5.6", "org.postgresql:postgresql:42.7.8"]
DRIVERS = {"postgres": "org.postgresql.Driver", "mariadb": "org.mariadb.jdbc.Driver"}
URLS = {"postgres": "jdbc:postgresql://{host}:{port}/{database}",
        # Spark's MySQL dialect (backtick quoting) applies to jdbc:mysql URLs only
        "mariadb": "jdbc:mysql://{host}:{port}/{database}?permitMysqlScheme"
                   "&sessionVariables=time_zone='+00:00'"}
WRITE_OPTIONS = {"postgres": {"reWriteBatchedInserts": "true"},
                 "mariadb": {"rewriteBatchedStatements": "true"}}


def end(prefix: str) -> dict[str, str]:
    keys = ("engine", "host", "port", "database", "user", "password", "table")
    return {k: os.environ[f"{prefix}_{k.upper()}"] for k in keys}


def props(side: dict[str, str]) -> dict[str, str]:
    """The driver's properties; no TLS to a loopback PostgreSQL, as every method of the bench."""
    from sparkdms.connectors.postgres.tls import is_loopback

    plain = side["engine"] == "postgres" and is_loopback(side["host"])
    return {"user": side["user"], "password": side["password"],
            "driver": DRIVERS[side["engine"]], **({"sslmode": "disable"} if plain else {})}


def session() -> Any:
    from pyspark.sql import SparkSession

    from sparkdms import jarcache

    jars = jarcache.cached_jars(PACKAGES)
    builder = (SparkSession.builder.master("local[*]").appName("bench-spark-jdbc")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
               .config("spark.ui.enabled", "false"))
    builder = (builder.config("spark.jars", ",".join(jars)) if jars
               else builder.config("spark.jars.packages", ",".join(PACKAGES)))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main() -> int:
    src, dst, key = end("BENCH_SRC"), end("BENCH_DST"), os.environ["BENCH_KEY"]
    spark = session()
    url = URLS[src["engine"]].format(**src)
    bounds = spark.read.jdbc(url, f"(SELECT MIN({key}) AS lo, MAX({key}) AS hi FROM "
                                  f"{src['table']}) b", properties=props(src)).first()
    frame = spark.read.jdbc(url, src["table"], column=key, lowerBound=int(bounds.lo),
                            upperBound=int(bounds.hi) + 1,
                            numPartitions=spark.sparkContext.defaultParallelism,
                            properties={**props(src), "fetchsize": "10000"})
    frame.write.jdbc(URLS[dst["engine"]].format(**dst), dst["table"], mode="overwrite",
                     properties={**props(dst), "batchsize": "10000",
                                 **WRITE_OPTIONS[dst["engine"]]})
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
