"""The contract suite (``connectors/contract``) against every real engine: PostgreSQL,
MariaDB and SQLite as sources and targets, Delta and Parquet as targets.

The harnesses (``tests/integration/harnesses.py``) create and read tables with each
engine's own driver; tables live in the per-test databases of
``tests/integration/conftest.py``.
"""

from __future__ import annotations

import pytest
from sparkdms.connectors.contract.suite import SourceContract, TargetContract

from tests.integration.harnesses import make

SOURCES = ["postgres", "mariadb", "sqlite"]
TARGETS = ["postgres", "mariadb", "sqlite", "delta", "parquet"]


class TestSourceContract(SourceContract):
    @pytest.fixture(params=SOURCES)
    def harness(self, request, spark, tmp_path):
        return make(request.param, request, spark, tmp_path)


class TestTargetContract(TargetContract):
    @pytest.fixture(params=TARGETS)
    def harness(self, request, spark, tmp_path):
        return make(request.param, request, spark, tmp_path)
