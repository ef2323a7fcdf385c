"""The notebooks in notebooks/ run as they are (nbclient, a fresh kernel each), from a folder
outside the repository: no relative path into the checkout. Each loads a small sample shop
and checks its own result; here, the report's tables are read back from the outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHOP = ("customers", "order_items", "orders", "products")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_as_it_is(path, tmp_path, monkeypatch):
    monkeypatch.delenv("SPARKDMS_SOURCE_HOST", raising=False)  # the laptop path: sample shop
    monkeypatch.delenv("SPARKDMS_JARS_DIR", raising=False)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(str(out.get("text", "")) + str(out.get("data", {}).get("text/plain", ""))
                     for cell in notebook.cells if cell.cell_type == "code"
                     for out in cell.get("outputs", []))
    assert "succeeded" in text, text
    for table in SHOP:
        assert table in text
    assert not list(tmp_path.iterdir()), "a notebook wrote into its working folder"
