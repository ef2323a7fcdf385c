"""The contract harness of the fake engine: tables written and read with pyarrow."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sparkdms.connectors.contract import ContractColumn, EngineHarness

from tests.fake_engine import store
from tests.fake_engine.types import FAKE


class FakeHarness(EngineHarness):
    engine = "fake"

    def __init__(self, spark: Any, root: Path) -> None:
        super().__init__(spark)
        self.root = root

    def endpoint(self, role: str) -> dict[str, Any]:
        return {"engine": "fake", "path": str(self.root / role)}

    def schema(self, role: str) -> str:
        return "data"

    def create_table(self, role: str, name: str, columns: Sequence[ContractColumn],
                     rows: Sequence[Sequence[Any]], primary_key: Sequence[str] = ("id",)) -> None:
        folder = store.table_dir(self.root / role, "data", name)
        store.write_table(folder, [(c.name, FAKE.to_native(c.ltype), c.nullable) for c in columns],
                          primary_key, rows)

    def read_rows(self, name: str, columns: Sequence[ContractColumn]) -> list[tuple] | None:
        folder = store.table_dir(self.root / "target", "data", name)
        if not (folder / store.META).is_file():
            return None
        return store.read_rows(folder, [c.name for c in columns])

    def table_names(self) -> set[str]:
        base = self.root / "target"
        return {str(p.relative_to(base)) for p in base.rglob("*") if p.is_dir()}
