"""Resolved JVM parts, remembered: the first start with a set of Maven coordinates lets
Spark's resolver (Ivy) fetch them; the jar files it resolved are then listed in a manifest
under the user's cache (``$SPARKDMS_CACHE`` or ``~/.cache/sparkdms``), keyed by the
coordinates. Later starts with the same coordinates pass those jars as ``spark.jars`` and
skip Ivy (a few seconds of every start, and no resolver to reach). The coordinates stay the
single source of truth: a changed coordinate is a new key, and a manifest whose files are
gone is ignored."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit


def cache_dir() -> Path:
    base = os.environ.get("SPARKDMS_CACHE") or os.path.join(Path.home(), ".cache", "sparkdms")
    return Path(base) / "jars"


def manifest(coordinates: list[str]) -> Path:
    key = hashlib.sha256("\n".join(sorted(coordinates)).encode()).hexdigest()[:24]
    return cache_dir() / f"{key}.txt"


def cached_jars(coordinates: list[str]) -> list[str] | None:
    """The jars resolved earlier for exactly these coordinates, when every file is there."""
    if not coordinates or os.environ.get("SPARKDMS_NO_JAR_CACHE"):
        return None
    path = manifest(coordinates)
    try:
        jars = [line for line in path.read_text().splitlines() if line.strip()]
    except OSError:
        return None
    return jars if jars and all(Path(j).is_file() for j in jars) else None


def _local_path(uri: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme in ("", "file"):
        return unquote(parts.path)
    return None


def remember(coordinates: list[str], resolved: str | None) -> None:
    """Keep what Spark resolved (its ``spark.jars`` after a start with these packages)."""
    if not coordinates or not resolved:
        return
    jars = [p for p in (_local_path(u.strip()) for u in resolved.split(",") if u.strip()) if p]
    if not jars or not all(Path(j).is_file() for j in jars):
        return
    path = manifest(coordinates)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("\n".join(jars) + "\n")
        tmp.replace(path)
    except OSError:
        return  # a read-only home: every start resolves, as before
