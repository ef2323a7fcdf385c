"""``make demo``: build a sample SQLite "shop" database, migrate it to a local
Delta lake with ``sparkdms run``, check row counts on both sides, print stats.
No server needed."""

from __future__ import annotations

import random
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import yaml

SCHEMA = """
CREATE TABLE customers (
  id INTEGER PRIMARY KEY, email VARCHAR(120) NOT NULL UNIQUE, name TEXT NOT NULL,
  country CHAR(2), created_at DATETIME NOT NULL, vip BOOLEAN NOT NULL DEFAULT 0
);
CREATE TABLE products (
  sku VARCHAR(32) PRIMARY KEY, title TEXT NOT NULL, price DECIMAL(12,2) NOT NULL,
  weight_kg REAL, photo BLOB
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
  ordered_at DATETIME NOT NULL, ship_date DATE, total DECIMAL(14,2) NOT NULL, note TEXT
);
CREATE TABLE order_items (
  order_id INTEGER NOT NULL REFERENCES orders(id), line INTEGER NOT NULL,
  sku VARCHAR(32) NOT NULL REFERENCES products(sku), qty INTEGER NOT NULL,
  unit_price DECIMAL(12,2) NOT NULL, PRIMARY KEY (order_id, line)
);
CREATE INDEX orders_by_customer ON orders (customer_id);
"""

NAMES = ["Ada", "Grace", "Linus", "Zoë", "Jürgen", "Søren", "Ana María", "李雷", "Олег", "Chloé"]


def build_shop(path: Path, customers: int = 2000, orders: int = 20000, seed: int = 7) -> dict:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    start = datetime(2024, 1, 1)
    db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", [
        (i, f"user{i}@example.com", f"{rng.choice(NAMES)} {i}",
         rng.choice(["DE", "FR", "US", "JP", None]),
         (start + timedelta(seconds=rng.randrange(30_000_000))).isoformat(sep=" "),
         rng.random() < 0.1) for i in range(1, customers + 1)])
    skus = [f"SKU-{i:05d}" for i in range(1, 301)]
    db.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?)", [
        (sku, f"Product {sku} - édition {i % 7}", str(Decimal(rng.randrange(100, 99999)) / 100),
         round(rng.uniform(0.05, 40), 3) if i % 5 else None,
         bytes(rng.randrange(256) for _ in range(16)) if i % 3 else None)
        for i, sku in enumerate(skus)])
    items = []
    order_rows = []
    for oid in range(1, orders + 1):
        at = start + timedelta(seconds=rng.randrange(30_000_000))
        lines = [(oid, n, rng.choice(skus), rng.randrange(1, 5),
                  str(Decimal(rng.randrange(100, 9999)) / 100)) for n in range(1, rng.randrange(2, 5))]
        total = sum(Decimal(p) * q for _, _, _, q, p in lines)
        order_rows.append((oid, rng.randrange(1, customers + 1), at.isoformat(sep=" "),
                           (at + timedelta(days=2)).date().isoformat() if oid % 4 else None,
                           str(total), "" if oid % 11 == 0 else (None if oid % 2 else "gift ✓")))
        items += lines
    db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", order_rows)
    db.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?, ?)", items)
    db.commit()
    counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
              for t in ("customers", "products", "orders", "order_items")}
    db.close()
    return counts


def write_task(folder: Path, db: Path, lake: Path) -> Path:
    task = {
        "name": "demo-sqlite-to-delta",
        "migration_type": "full-load",
        "source": {"engine": "sqlite", "path": str(db)},
        "target": {"engine": "delta", "path": str(lake)},
        "table_mappings": {"rules": [{
            "rule-type": "selection", "rule-id": "1", "rule-name": "all-shop-tables",
            "object-locator": {"schema-name": "main", "table-name": "%"},
            "rule-action": "include"}]},
        "settings": {"FullLoadSettings": {"TargetTablePrepMode": "DROP_AND_CREATE",
                                          "MaxFullLoadSubTasks": 4}},
        "spark": {"master": "local[2]"},
    }
    path = folder / "demo-task.yaml"
    path.write_text(yaml.safe_dump(task, sort_keys=False))
    return path


def seed_postgres(folder: Path) -> int:
    """Load the sample shop into PostgreSQL schema "shop" (with sparkdms itself) for the
    server-to-server examples in conf/examples."""
    import os

    from sparkdms.cli import main as cli_main

    db = folder / "shop.db"
    build_shop(db)
    task = {
        "name": "seed-shop-into-postgres", "migration_type": "full-load",
        "source": {"engine": "sqlite", "path": str(db)},
        "target": {"engine": "postgres", "host": os.environ.get("SPARKDMS_PG_HOST", "127.0.0.1"),
                   "port": int(os.environ.get("SPARKDMS_PG_PORT", "5432")),
                   "database": os.environ.get("SPARKDMS_PG_DATABASE", "sparkdms"),
                   "user": os.environ.get("SPARKDMS_PG_USER", "sparkdms"),
                   "password": "${env:SPARKDMS_PG_PASSWORD}"},
        "table_mappings": {"rules": [{"rule-type": "selection", "rule-id": "1", "rule-name": "all",
                                      "object-locator": {"schema-name": "main", "table-name": "%"},
                                      "rule-action": "include"}]},
        "settings": {"TargetMetadata": {"TargetSchema": "shop"}},
        "spark": {"master": "local[2]"},
    }
    path = folder / "seed-task.yaml"
    path.write_text(yaml.safe_dump(task, sort_keys=False))
    os.environ.setdefault("SPARKDMS_PG_PASSWORD", "sparkdms_pw")
    return cli_main(["run", str(path)])


def main() -> int:
    from sparkdms.cli import main as cli_main

    folder = Path("demo").resolve()
    if "--seed-postgres" in sys.argv[1:]:
        return seed_postgres(folder)
    db, lake = folder / "shop.db", folder / "lake"
    counts = build_shop(db)
    print(f"Built sample SQLite database {db}: "
          + ", ".join(f"{t}={n:,}" for t, n in counts.items()))
    task = write_task(folder, db, lake)
    code = cli_main(["run", str(task), "--report", str(folder / "report.json")])
    if code != 0:
        return code
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    assert spark is not None
    bad = []

    def delta_rows(table: str) -> int:
        return spark.read.format("delta").load(str(lake / table)).count()

    with ThreadPoolExecutor(len(counts)) as pool:  # the tables' counts overlap, as their loads
        found = dict(zip(counts, pool.map(delta_rows, counts), strict=True))
    for table, expected in counts.items():
        got = found[table]
        print(f"  check {table}: source {expected:,} rows, Delta {got:,} rows "
              f"{'OK' if got == expected else 'MISMATCH'}")
        if got != expected:
            bad.append(table)
    print("Demo " + ("failed: " + ", ".join(bad) if bad else "succeeded: every row count matches"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
