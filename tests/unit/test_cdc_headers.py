"""Change headers in add-column expressions: constants in the full load, the change's own
columns in change data capture (sparkdms/cdc/frame.py fills them)."""

from __future__ import annotations

import pytest

from sparkdms.plan.mapping.expressions import CDC_HEADERS, Scope, compile_expression, render

FULL, CDC = Scope(), Scope(cdc=True)


@pytest.mark.parametrize(("text", "full", "cdc"), [
    ("$AR_H_OPERATION", "'INSERT'", "`_sdms_h_operation`"),
    ("$AR_H_STREAM_POSITION", "''", "`_sdms_h_position`"),
    ("$AR_H_TRANSACTION_ID", "''", "`_sdms_h_txid`"),
    ("$AR_M_SOURCE_TABLE_NAME", "''", "''"),  # metadata headers are the same in both
    ("operation_indicator('D', 'U', 'I')", "'I'",
     "(CASE `_sdms_h_operation` WHEN 'DELETE' THEN 'D' WHEN 'UPDATE' THEN 'U' ELSE 'I' END)"),
])
def test_headers_render_per_phase(text: str, full: str, cdc: str) -> None:
    compiled = compile_expression(text)
    assert render(compiled, FULL) == full
    assert render(compiled, CDC) == cdc


def test_every_change_header_has_a_frame_column() -> None:
    assert set(CDC_HEADERS) == {"AR_H_OPERATION", "AR_H_TIMESTAMP", "AR_H_COMMIT_TIMESTAMP",
                                "AR_H_DB_COMMIT_TIMESTAMP", "AR_H_CHANGE_SEQ",
                                "AR_H_STREAM_POSITION", "AR_H_TRANSACTION_ID"}
    assert all(v.startswith("_sdms_h_") for v in CDC_HEADERS.values())
