"""Discovery helpers of the command line: ``test-connection``, ``tables``, ``init`` and
``examples``. None of them starts Spark or writes to an endpoint."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sparkdms.errors import SparkDmsError, TaskConfigError

EXIT_OK, EXIT_CONFIG = 0, 2


# -- test-connection --------------------------------------------------------------------------

def check_endpoint(endpoint: Any) -> tuple[bool, str]:
    """(ok, one line) for one endpoint: connected in N ms, or the one-line reason."""
    from sparkdms.registry import connector_for

    started = time.monotonic()
    try:
        connector_for(endpoint).check_connection()
    except SparkDmsError as err:
        return False, str(err)
    ms = (time.monotonic() - started) * 1000
    return True, f"{endpoint.role}: ok, {endpoint.describe()} ({ms:.0f} ms)"


def cmd_test_connection(args: argparse.Namespace) -> int:
    from sparkdms.task import load_task

    task = load_task(args.task)
    failed = 0
    for endpoint in (task.source, task.target):
        ok, line = check_endpoint(endpoint)
        if ok:
            print(line)
        else:
            failed += 1
            print(f"sparkdms: error: {line}", file=sys.stderr)
    return EXIT_CONFIG if failed else EXIT_OK


# -- tables -----------------------------------------------------------------------------------

def table_rows(prep: Any) -> list[dict[str, Any]]:
    return [{"source": tp.source_label, "target": tp.target_label,
             "row_estimate": tp.source.row_estimate, "columns": len(tp.columns),
             "primary_key": list(tp.primary_key), "rules": list(tp.rule_ids)}
            for tp in prep.plan.tables]


def render_tables(rows: list[dict[str, Any]]) -> list[str]:
    head = ("Source table", "Target table", "Rows (est.)", "Columns", "Primary key")
    body = [(r["source"], r["target"], f"{r['row_estimate']:,}", str(r["columns"]),
             ", ".join(r["primary_key"]) or "(none)") for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=False)]
    fmt = "  ".join(f"{{:{'>' if i in (2, 3) else '<'}{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths)),
             *(fmt.format(*b) for b in body)]
    return [line.rstrip() for line in lines]


def cmd_tables(args: argparse.Namespace) -> int:
    from sparkdms.app import prepare

    prep = prepare(args.task, with_partitions=False, check_target=False)
    rows = table_rows(prep)
    total = sum(r["row_estimate"] for r in rows)
    if args.format == "json":
        print(json.dumps({"task": prep.task.name, "tables": rows, "row_estimate": total,
                          "warnings": list(prep.plan.warnings)}, indent=2))
        return EXIT_OK
    print(f"Task {prep.task.name}: {len(rows)} table(s) from {prep.task.source.describe()}, "
          f"about {total:,} rows")
    print("\n".join(render_tables(rows)))
    for warning in prep.plan.warnings:
        print(f"warning: {warning}")
    return EXIT_OK


# -- init -------------------------------------------------------------------------------------

SERVER_SCHEMES = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql",
                  "mariadb": "mariadb"}
PATH_SCHEMES = {"sqlite": "sqlite", "delta": "delta", "parquet": "parquet"}
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306, "mariadb": 3306}


def parse_url(url: str, role: str) -> dict[str, Any]:
    """An endpoint mapping from a URL; the password is never kept (an ${env:...} instead)."""
    parts = urlsplit(url.removeprefix("jdbc:"))
    scheme = parts.scheme.lower()
    if scheme in PATH_SCHEMES:  # as SQLAlchemy: sqlite:///relative.db, sqlite:////abs.db
        path = unquote(parts.netloc + parts.path.removeprefix("/"))
        if "://" not in path:
            path = str(Path(path).expanduser().resolve())  # the task file may live elsewhere
        return {"engine": PATH_SCHEMES[scheme], "path": path}
    if scheme not in SERVER_SCHEMES:
        known = ", ".join(sorted({*SERVER_SCHEMES, *PATH_SCHEMES}))
        raise TaskConfigError(f"{role} URL", f"unknown scheme {scheme!r}; one of: {known}")
    engine = SERVER_SCHEMES[scheme]
    out: dict[str, Any] = {"engine": engine, "host": parts.hostname or "127.0.0.1",
                           "port": parts.port or DEFAULT_PORTS[engine],
                           "database": unquote(parts.path.lstrip("/")) or None,
                           "user": unquote(parts.username) if parts.username else None}
    if not out["database"]:
        raise TaskConfigError(f"{role} URL", "name the database: scheme://user@host:port/DATABASE")
    return {k: v for k, v in out.items() if v is not None}


def source_schema(source: dict[str, Any]) -> str:
    return {"postgres": "public", "sqlite": "main"}.get(source["engine"],
                                                        str(source.get("database", "%")))


def _endpoint_lines(role: str, doc: dict[str, Any]) -> list[str]:
    lines = [f"{role}:"]
    for key, value in doc.items():
        lines.append(f"  {key}: {json.dumps(value) if isinstance(value, str) else value}")
    if "user" in doc:
        var = f"SPARKDMS_{role.upper()}_PASSWORD"
        lines.append(f"  password: ${{env:{var}}}    # or ${{file:~/.secrets/{role}}}; "
                     "never written here")
    return lines


def task_text(name: str, source: dict[str, Any], target: dict[str, Any]) -> str:
    schema = source_schema(source)
    return "\n".join([
        "# sparkdms task written by `sparkdms init`. Next steps:",
        "#   sparkdms test-connection THIS_FILE   # both endpoints answer?",
        "#   sparkdms tables THIS_FILE            # what the selection rule matches",
        "#   sparkdms plan THIS_FILE              # columns, types, target DDL; writes nothing",
        "#   sparkdms run THIS_FILE --report out/run.json",
        f"name: {name}",
        "migration_type: full-load",
        *_endpoint_lines("source", source),
        *_endpoint_lines("target", target),
        "# AWS DMS table mappings, unchanged: a path to their JSON, or inline as here.",
        "# % matches any run of characters; add exclude rules or transformations as in AWS DMS.",
        "table_mappings:",
        "  rules:",
        "    - rule-type: selection",
        "      rule-id: \"1\"",
        "      rule-name: all-tables",
        "      rule-action: include",
        f"      object-locator: {{schema-name: {json.dumps(schema)}, table-name: \"%\"}}",
        "# AWS DMS task settings by their AWS names; or a path to the JSON that",
        "# `aws dms describe-replication-tasks` returns (ReplicationTaskSettings is read).",
        "settings:",
        "  FullLoadSettings:",
        "    TargetTablePrepMode: DROP_AND_CREATE   # DO_NOTHING | TRUNCATE_BEFORE_LOAD",
        "    MaxFullLoadSubTasks: 8                 # tables loaded at once",
        "  ValidationSettings:",
        "    EnableValidation: true                 # compare each table after its load",
        "spark:",
        "  master: local[*]                        # --master overrides it",
        "",
    ])


def cmd_init(args: argparse.Namespace) -> int:
    source = parse_url(args.source_url, "source")
    target = parse_url(args.target_url, "target")
    out = Path(args.out)
    if out.exists() and not args.force:
        raise TaskConfigError(str(out), "exists already; --force overwrites it")
    name = args.name or f"{source['engine']}-to-{target['engine']}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(task_text(name, source, target).replace("THIS_FILE", str(out)))
    print(f"Task file written to {out}")
    needed = [f"SPARKDMS_{role.upper()}_PASSWORD" for role, d in
              (("source", source), ("target", target)) if "user" in d]
    if needed:
        print(f"Set {' and '.join(needed)} (or edit the password lines), then:")
    print(f"  sparkdms test-connection {out} && sparkdms tables {out}")
    return EXIT_OK


# -- examples ---------------------------------------------------------------------------------

def examples_dir() -> Path:
    """The example tasks: inside the installed package (a wheel puts conf/examples there),
    else the checkout's conf/examples."""
    here = Path(__file__).resolve().parent
    for folder in (here / "examples", here.parent / "conf" / "examples"):
        if folder.is_dir() and any(folder.glob("*.yaml")):
            return folder
    raise SparkDmsError("no example tasks found in this installation")


def cmd_examples(args: argparse.Namespace) -> int:
    folder = examples_dir()
    if not args.dest:
        for path in sorted(folder.glob("*.yaml")):
            first = path.read_text().splitlines()[0].lstrip("# ").strip()
            print(f"{path}\n    {first}")
        print("Copy them with: sparkdms examples DIR")
        return EXIT_OK
    dest = Path(args.dest)
    shutil.copytree(folder, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "__init__.py"))
    print(f"Examples copied to {dest}: "
          + ", ".join(sorted(p.name for p in dest.glob("*.yaml"))))
    return EXIT_OK
