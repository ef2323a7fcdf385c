"""The JVM parts each engine needs, as Maven coordinates (the single source of truth).

``python -m sparkdms.jvm [engine ...]`` prints them one per line, for
``scripts/fetch_jars.sh`` and ``spark-submit.sh``.
"""

from __future__ import annotations

import sys

from sparkdms.registry import connector_class, specs


def packages_for(engines: list[str]) -> list[str]:
    out: list[str] = []
    for engine in engines:
        for coord in connector_class(engine).packages:
            if coord not in out:
                out.append(coord)
    return out


def all_packages() -> list[str]:
    return packages_for([name for name, spec in specs().items() if spec.connector])


def task_engines(task_path: str) -> list[str]:
    import yaml

    from sparkdms.registry import canonical_engine

    doc = yaml.safe_load(open(task_path))
    return [canonical_engine(str(doc[role]["engine"]), f"{role}.engine")
            for role in ("source", "target")]


def main(argv: list[str] | None = None) -> int:
    """``python -m sparkdms.jvm`` (all), ``... postgres delta`` or ``... --task TASK.yaml``."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--task"]:
        args = task_engines(args[1])
    for coord in packages_for(args) if args else all_packages():
        print(coord)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
