"""The bench's engine-neutral checksum (bench/checksum.py) on the real servers: the same rows
give the same sum on PostgreSQL and MariaDB, whatever column types hold them, and one changed
value, NULL, microsecond, or a missing row changes it. Skipped when the servers are down."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import checksum as ck
import gen_orders as gen

ROWS = [  # order_id, amount, ordered_at, customer, note, is_paid, quantity, coupon_id
    (1, "12.34", "2024-02-29 23:59:59.123456", "customer-00001", "plain", True, 3, None),
    (2, "-0.50", "2020-01-01 00:00:00", "Zoë|pipe", None, False, None, 7),
    (3, "9999999999.99", "1999-12-31 12:00:00.000001", "李雷", "", True, 0, 0),
    (4, "0.00", "2038-01-19 03:14:08.5", "tab\there", "back\\slash 'q'", False, -5, None),
]
PG_INSERT = "INSERT INTO public.orders VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
MY_INSERT = "INSERT INTO `orders` VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
# The same values in other types a tool may choose: the checksum must not change.
PG_OTHER_TYPES = """CREATE TABLE public.orders (order_id numeric(20,0), amount double precision,
    ordered_at timestamptz, customer text, note varchar(200), is_paid smallint, quantity bigint,
    coupon_id numeric(10,0))"""


@pytest.fixture(scope="module")
def databases() -> Iterator[str]:
    name = f"bench_ck_{uuid.uuid4().hex[:8]}"
    try:
        gen.recreate_database(name)
        gen.my_recreate_database(name)
    except Exception as exc:  # servers down: nothing to check against
        pytest.skip(f"PostgreSQL/MariaDB not reachable ({type(exc).__name__}); run `make services`")
    try:
        yield name
    finally:
        with gen.connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with gen.my_connect() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def pg_sum(db: str) -> tuple[int, int]:
    with gen.connect(db) as conn:
        return ck.checksum(conn, "postgres", ck.relation("postgres", "public", "orders"),
                           ck.named("postgres", ck.ORDERS_COLUMNS))


def my_sum(db: str) -> tuple[int, int]:
    with gen.my_connect(db) as conn:
        return ck.checksum(conn, "mariadb", ck.relation("mariadb", db, "orders"),
                           ck.named("mariadb", ck.ORDERS_COLUMNS))


def load_pg(db: str, ddl: str, rows: list[tuple] = ROWS) -> None:
    with gen.connect(db) as conn:
        conn.execute("DROP TABLE IF EXISTS public.orders")
        conn.execute(ddl)
        conn.execute("SET TIME ZONE 'UTC'")
        with conn.cursor() as cur:
            cur.executemany(PG_INSERT, [(*r[:5], int(r[5]) if "smallint" in ddl else r[5], *r[6:])
                                        for r in rows])


def load_my(db: str, rows: list[tuple] = ROWS) -> None:
    with gen.my_connect(db) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS `orders`")
        cur.execute(gen.MY_ORDERS_DDL)
        cur.executemany(MY_INSERT, rows)


def test_same_rows_same_checksum_on_both_engines_and_other_types(databases: str) -> None:
    load_pg(databases, gen.ORDERS_DDL)
    load_my(databases)
    reference = pg_sum(databases)
    assert reference[0] == len(ROWS) and reference[1] > 0
    assert my_sum(databases) == reference
    load_pg(databases, PG_OTHER_TYPES)
    assert pg_sum(databases) == reference


CHANGES = {  # one value of one row changed, as a tool could get it wrong
    "amount by a cent": (0, 1, "12.35"),
    "microsecond lost": (0, 2, "2024-02-29 23:59:59.123000"),
    "NULL became empty": (1, 4, ""),
    "empty became NULL": (2, 4, None),
    "boolean flipped": (1, 5, True),
    "NULL became 0": (1, 6, 0),
    "unicode changed": (2, 3, "李"),
    "separator moved": (1, 3, "Zoë"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_one_changed_value_changes_the_checksum(databases: str, change: str) -> None:
    load_pg(databases, gen.ORDERS_DDL)
    reference = pg_sum(databases)
    row, col, value = CHANGES[change]
    changed = [list(r) for r in ROWS]
    changed[row][col] = value
    load_my(databases, [tuple(r) for r in changed])
    count, total = my_sum(databases)
    assert count == reference[0]
    assert total != reference[1], f"{change}: checksum unchanged"
    load_pg(databases, gen.ORDERS_DDL, [tuple(r) for r in changed])
    assert pg_sum(databases) == (count, total)  # the same change, the same sum on both engines


def test_missing_and_duplicated_rows_change_it(databases: str) -> None:
    load_pg(databases, gen.ORDERS_DDL)
    reference = pg_sum(databases)
    load_my(databases, ROWS[:-1])
    assert my_sum(databases)[0] == reference[0] - 1
    with gen.connect(databases) as conn:
        conn.execute("ALTER TABLE public.orders DROP CONSTRAINT IF EXISTS orders_pkey")
        conn.execute("INSERT INTO public.orders SELECT * FROM public.orders WHERE order_id = 1")
        conn.execute("DELETE FROM public.orders WHERE order_id = 2")
    assert pg_sum(databases)[0] == reference[0]
    assert pg_sum(databases)[1] != reference[1]
