"""PostgreSQL to PostgreSQL, validation hashes the stored values of columns of the same type
on both sides (``hash_record_extended``) instead of their canonical text: an identical copy
validates, and a change of one value of each such type is found in the right row and
column, beside the columns still compared as canonical text (floats, char(n), JSON)."""

from __future__ import annotations

from tests.integration.conftest import pg_connect
from tests.integration.helpers import selection, write_task
from tests.integration.test_validation import PG_KINDS, PG_ROWS, VALIDATE, found, run

# (statement on the target, {id: columns it changes}); None: an equal rewrite, not reported
PG_FAULTS = [
    ("UPDATE public.kinds SET small = small + 1 WHERE id = 100", {100: {"small"}}),
    ("UPDATE public.kinds SET big = big - 1 WHERE id = 1", {1: {"big"}}),
    ("UPDATE public.kinds SET amount = round(amount, 1) WHERE id = 101", {101: {"amount"}}),
    ("UPDATE public.kinds SET precise = precise + 0.000000000000000001 WHERE id = 1",
     {1: {"precise"}}),
    ("UPDATE public.kinds SET d = d + 1 WHERE id = 103", {103: {"d"}}),
    ("UPDATE public.kinds SET flag = true WHERE id = 2", {2: {"flag"}}),
    ("UPDATE public.kinds SET code = 'ac' WHERE id = 1", {1: {"code"}}),
    ("UPDATE public.kinds SET code = 'x' WHERE id = 4", None),  # char(5): 'x  ' is 'x'
    ("UPDATE public.kinds SET name = name || ' ' WHERE id = 104", {104: {"name"}}),
    ("UPDATE public.kinds SET name = NULL WHERE id = 2", {2: {"name"}}),  # '' became NULL
    ("UPDATE public.kinds SET body = replace(body, 'line1', 'line0') WHERE id = 4", {4: {"body"}}),
    ("UPDATE public.kinds SET body = body || '.' WHERE id = 1", {1: {"body"}}),  # 160 kB text
    ("UPDATE public.kinds SET day = '0999-06-16' WHERE id = 4", {4: {"day"}}),
    ("UPDATE public.kinds SET at = at + interval '1 microsecond' WHERE id = 106", {106: {"at"}}),
    ("UPDATE public.kinds SET at3 = '1970-01-01 00:00:00.001' WHERE id = 2", {2: {"at3"}}),
    ("UPDATE public.kinds SET tz = tz + interval '1 microsecond' WHERE id = 4", {4: {"tz"}}),
    ("UPDATE public.kinds SET tod = '23:59:58.999999' WHERE id = 1", {1: {"tod"}}),
    ("UPDATE public.kinds SET uid = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13' WHERE id = 4",
     {4: {"uid"}}),
    ("""UPDATE public.kinds SET doc = '{"a":"x","b":[1,2.50,{"z":null}]}' WHERE id = 1""", None),
    ("UPDATE public.kinds SET raw = raw || '\\x78'::bytea WHERE id = 4", {4: {"raw"}}),
    ("UPDATE public.kinds SET raw = '\\x00ff11' WHERE id = 1", {1: {"raw"}}),
    ("UPDATE public.kinds SET tags = '{1,2,4}' WHERE id = 1", {1: {"tags"}}),
    ("UPDATE public.kinds SET span = NULL WHERE id = 2", {2: {"span"}}),
]


def test_same_types_hash_stored_values_and_find_each_change(pg_db, spark, tmp_path):
    with pg_connect(pg_db) as conn:
        conn.execute(PG_KINDS)
        conn.execute(PG_ROWS)
    dst = {**pg_db, "database": f"{pg_db['database']}_dst"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dst["database"]}"')
    task = write_task(tmp_path, pg_db, dst, [selection("public")], VALIDATE, name="stored")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0 and stats["ValidationState"] == "Validated", stats
    assert stats["ValidationSourceRows"] == stats["ValidationTargetRows"] == 2905
    # all but real, double precision, char(5) and jsonb (canonical text) are taken as stored
    assert stats["ValidationMethod"].endswith("; 17 of 21 columns hashed as stored"), stats

    expected: dict[tuple[str, str], set[str]] = {}
    with pg_connect(dst) as conn:
        for sql, changes in PG_FAULTS:
            conn.execute(sql)
            for key, cols in (changes or {}).items():
                expected.setdefault(("RECORD_DIFF", str(key)), set()).update(cols)
        conn.execute("DELETE FROM public.kinds WHERE id = 3000")
        conn.execute("INSERT INTO public.kinds (id, name) VALUES (5000, 'extra')")
    expected[("MISSING_TARGET", "3000")] = set()
    expected[("MISSING_SOURCE", "5000")] = set()

    code, report = run("validate", task, tmp_path)
    stats = report["tables"][0]
    assert code == 1 and stats["ValidationState"] == "Mismatched records", stats
    with pg_connect(dst) as conn:
        assert found(conn, "stored") == expected
    assert stats["ValidationFailedRecords"] == len(expected)


def test_a_column_of_another_type_on_the_target_is_compared_as_text(pg_db, spark, tmp_path):
    """The target keeps ``amount`` as numeric(14,4) (a table prepared by the user, loaded with
    TRUNCATE_BEFORE_LOAD): 1.50 is stored as 1.5000 there, equal as a value; that column
    is compared as canonical text, the others as stored."""
    ddl = "CREATE TABLE public.paid (id integer PRIMARY KEY, amount {amount}, note text)"
    with pg_connect(pg_db) as conn:
        conn.execute(ddl.format(amount="numeric(12,2)"))
        conn.execute("INSERT INTO public.paid SELECT g, g / 4.0, 'n' || g "
                     "FROM generate_series(1, 500) g")
    dst = {**pg_db, "database": f"{pg_db['database']}_dst"}
    with pg_connect(pg_db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dst["database"]}"')
    with pg_connect(dst) as conn:
        conn.execute(ddl.format(amount="numeric(14,4)"))
    settings = {**VALIDATE, "FullLoadSettings": {"TargetTablePrepMode": "TRUNCATE_BEFORE_LOAD"},
                # great-expectations would report the type drift from the plan's numeric(12,2)
                "Sparkdms": {"ValidationExpectations": False}}
    task = write_task(tmp_path, pg_db, dst, [selection("public")], settings, name="paid")
    code, report = run("run", task, tmp_path)
    stats = report["tables"][0]
    assert code == 0 and stats["ValidationState"] == "Validated", stats
    assert stats["ValidationMethod"].endswith("; 2 of 3 columns hashed as stored"), stats
    with pg_connect(dst) as conn:
        conn.execute("UPDATE public.paid SET amount = amount + 0.0001 WHERE id = 7")
        conn.execute("UPDATE public.paid SET note = 'changed' WHERE id = 9")
    code, report = run("validate", task, tmp_path)
    with pg_connect(dst) as conn:
        assert found(conn, "paid") == {("RECORD_DIFF", "7"): {"amount"},
                                       ("RECORD_DIFF", "9"): {"note"}}
    assert code == 1
