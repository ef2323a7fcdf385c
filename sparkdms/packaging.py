"""Ship the project's code to executors: one zip of sparkdms/, connectors/, jobs/.

``python -m sparkdms.packaging OUT.zip`` writes it for spark-submit's --py-files;
``sparkdms run --master spark://...`` adds it to the session itself.
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGES = ("sparkdms", "connectors", "jobs")
ROOT = Path(__file__).resolve().parent.parent


def code_zip(dest: Path | None = None) -> Path:
    dest = dest or Path(tempfile.mkdtemp(prefix="sparkdms-")) / "sparkdms-code.zip"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for package in PACKAGES:
            for path in sorted((ROOT / package).rglob("*.py")):
                zf.write(path, path.relative_to(ROOT).as_posix())
    return dest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(code_zip(Path(args[0]) if args else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
