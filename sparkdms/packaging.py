"""Ship sparkdms to executors: one zip in the installed layout.

The zip holds ``sparkdms/...`` with ``sparkdms/connectors/...`` and ``sparkdms/jobs/...``
inside, whatever the install: from a source checkout (where ``connectors/`` and ``jobs/``
are top-level folders that setup.py maps to ``sparkdms.connectors`` and ``sparkdms.jobs``)
or from a wheel (the installed ``sparkdms`` package directory, as it is). The folders are
found the way Python finds the packages, so the zip is what ``import sparkdms`` runs.

``python -m sparkdms.packaging [OUT.zip]`` writes it; ``sparkdms submit`` passes it as
``--py-files``; ``sparkdms run --master spark://...`` adds it to the session itself.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import zipfile
from pathlib import Path

# the installed packages and their folder inside the zip
PACKAGES = {"sparkdms": "sparkdms", "sparkdms.connectors": "sparkdms/connectors",
            "sparkdms.jobs": "sparkdms/jobs"}


def package_dirs() -> dict[str, Path]:
    """Folder in the zip -> where that package's code is on this machine."""
    out = {}
    for name, prefix in PACKAGES.items():
        module = importlib.import_module(name)
        out[prefix] = Path(next(iter(module.__path__))).resolve()
    return out


def code_files() -> dict[str, Path]:
    """Name in the zip -> source file, for every module of the installed layout."""
    out: dict[str, Path] = {}
    for prefix, folder in package_dirs().items():
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            # from a wheel, sparkdms/connectors/x.py is found twice: once is enough
            out.setdefault(f"{prefix}/{path.relative_to(folder).as_posix()}", path)
    return dict(sorted(out.items()))


def code_zip(dest: Path | None = None) -> Path:
    dest = dest or Path(tempfile.mkdtemp(prefix="sparkdms-")) / "sparkdms-code.zip"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in code_files().items():
            zf.write(path, name)
    return dest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(code_zip(Path(args[0]) if args else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
