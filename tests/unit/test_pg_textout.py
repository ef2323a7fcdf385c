"""PostgreSQL's text COPY made the neutral stream's form (connectors/postgres/textout.py):
``\\b``, ``\\f``, ``\\v`` become their raw bytes, an escaped backslash stays one, and what
the stream's reader (LOAD DATA: only ``\\\\ \\t \\n \\r`` and ``\\N``) reads back is the
value PostgreSQL wrote."""

from __future__ import annotations

import random

import pytest
from sparkdms.connectors.postgres.textout import blocks, raw_escapes

# PostgreSQL's CopyAttributeOutText: these bytes as a backslash and a letter, the rest as is
PG_ESCAPES = {b"\\": b"\\\\", b"\b": b"\\b", b"\f": b"\\f", b"\n": b"\\n", b"\r": b"\\r",
              b"\t": b"\\t", b"\v": b"\\v"}
# the neutral stream's reader
STREAM_UNESCAPE = {b"\\": b"\\", b"t": b"\t", b"n": b"\n", b"r": b"\r"}


def pg_copy_text(value: bytes) -> bytes:
    return b"".join(PG_ESCAPES.get(value[i:i + 1], value[i:i + 1]) for i in range(len(value)))


def stream_value(field: bytes) -> bytes:
    """A field as the neutral form's reader reads it; any other escape is an error."""
    out, i = bytearray(), 0
    while i < len(field):
        if field[i:i + 1] == b"\\":
            nxt = field[i + 1:i + 2]
            assert nxt in STREAM_UNESCAPE, f"escape \\{nxt!r} is not the stream's form"
            out += STREAM_UNESCAPE[nxt]
            i += 2
        else:
            out += field[i:i + 1]
            i += 1
    return bytes(out)


def lines_of(rows: list[list[bytes]]) -> bytes:
    return b"".join(b"\t".join(pg_copy_text(v) for v in row) + b"\n" for row in rows)


def read_stream(block: bytes) -> list[list[bytes]]:
    return [[stream_value(f) for f in line.split(b"\t")] for line in block.split(b"\n")[:-1]]


@pytest.mark.parametrize("value", [
    b"\f", b"\v", b"\b", b"\\f", b"\\\f", b"\\\\f", b"\\\\\v", b"a\\b\fc\\vd\x0be\\",
    b"C:\\folder\\bin\\vendor", b"\\", b"\\\\", b"", b"plain", "Zoë ✓ 🚀\f".encode(),
    b"\x01\x02\x7f", b"\\N", b"\n\r\t\f\v\b\\",
])
def test_each_value_reads_back_as_postgres_wrote_it(value):
    rows = [[value, b"x"], [b"y", value]]
    assert read_stream(raw_escapes(lines_of(rows))) == rows


def test_a_block_without_those_escapes_is_the_same_object():
    block = lines_of([[b"no escapes here", b"\t\\"], [b"\n\r", b"\\N"]])
    assert raw_escapes(block) is block


def test_random_values_read_back_exactly():
    rng = random.Random(20261202)
    alphabet = [b"\\", b"\b", b"\f", b"\v", b"\n", b"\r", b"\t", b"b", b"f", b"v", b"N", b"x",
                "é".encode(), b"\x01"]
    rows = [[b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
             for _ in range(3)] for _ in range(3000)]
    block = lines_of(rows)
    assert read_stream(raw_escapes(block)) == rows


def test_blocks_hold_whole_rows_and_every_byte():
    rows = [pg_copy_text(f"row {i}\f\\v".encode()) + b"\n" for i in range(1000)]
    out = list(blocks(iter(rows), size=100))
    assert len(out) > 1 and all(b.endswith(b"\n") for b in out)
    assert b"".join(out) == raw_escapes(b"".join(rows))
    assert list(blocks(iter([]))) == []
