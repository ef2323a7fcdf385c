"""A refused batch is named after its column and value (connectors/sql/refusal.py): the
probes run on real Arrow batches, only after a failure."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sparkdms.connectors.sql.refusal import culprit

COLUMNS = ("id", "score", "born", "seen", "note")


def batch(score: float = 1.5, born: int = 0, seen: int = 0, note: str = "ok é") -> pa.RecordBatch:
    """Three rows; the third carries the given values."""
    return pa.RecordBatch.from_arrays([
        pa.array([1, 2, 3], pa.int64()),
        pa.array([0.5, None, score], pa.float64()),
        pa.array([0, 1, born], pa.date32()),
        pa.array([0, 1, seen], pa.timestamp("us", tz="UTC")),
        pa.array(["a", None, note], pa.string()),
    ], names=[f"_c{i}" for i in range(5)])


DAY_10000 = (dt.date(9999, 12, 31) - dt.date(1970, 1, 1)).days + 1
CASES = [
    ("NaN in a float", batch(score=float("nan")), "nan can not be used with MySQL",
     "column score, value nan (row 3 of a batch of 3): NaN or infinity"),
    ("infinity", batch(score=float("-inf")), "inf can not be used with MySQL",
     "column score, value -inf (row 3 of a batch of 3)"),
    ("a date after 9999", batch(born=DAY_10000), "date value out of range",
     "column born, value 10000-01-01 (row 3 of a batch of 3): a date outside years 1..9999"),
    ("a timestamp before year 1", batch(seen=-62_135_596_801 * 1_000_000), "year 0 is out of range",
     "column seen, value 0000-12-31 23:59:59.000000Z (row 3 of a batch of 3)"),
    ("NUL in text", batch(note="a\x00b"),
     "PostgreSQL text fields cannot contain NUL (0x00) bytes",
     "column note, value a\x00b (row 3 of a batch of 3): text with a NUL character"),
    ("the database names the column", batch(),
     "(1406, \"Data too long for column 'note' at row 3\")",
     "column note (in a batch of 3 rows)"),
]


@pytest.mark.parametrize(("case", "rows", "error", "words"), CASES, ids=[c[0] for c in CASES])
def test_the_refused_value_is_found(case, rows, error, words):
    assert words in culprit(rows, COLUMNS, Exception(error))


def test_nothing_to_name_leaves_the_error_alone():
    assert culprit(batch(), COLUMNS, Exception("(0, '')")) is None
    assert culprit(batch(), COLUMNS, Exception("Data too long for column 'other' at row 1")) is None
