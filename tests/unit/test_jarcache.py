"""The resolved-jar manifest: keyed by the exact coordinates, ignored when a jar is gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkdms import jarcache
from sparkdms.spark import session_conf

COORDS = ["org.postgresql:postgresql:42.7.8", "org.xerial:sqlite-jdbc:3.50.3.0"]


@pytest.fixture
def jars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    monkeypatch.setenv("SPARKDMS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SPARKDMS_JARS_DIR", raising=False)
    monkeypatch.delenv("SPARKDMS_NO_JAR_CACHE", raising=False)
    out = [tmp_path / "ivy" / "a b.jar", tmp_path / "ivy" / "c.jar"]
    for p in out:
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(b"PK")
    return out


def test_a_start_after_a_resolution_passes_the_jars_and_skips_ivy(jars: list[Path]) -> None:
    assert "spark.jars.packages" in session_conf(COORDS, {}, {})
    jarcache.remember(COORDS, ",".join(p.as_uri() for p in jars))
    conf = session_conf(list(reversed(COORDS)), {}, {})  # order does not matter
    assert "spark.jars.packages" not in conf
    assert conf["spark.jars"].split(",") == [str(p) for p in jars]


def test_other_coordinates_or_a_missing_jar_resolve_again(jars: list[Path]) -> None:
    jarcache.remember(COORDS, ",".join(p.as_uri() for p in jars))
    assert jarcache.cached_jars([*COORDS, "io.delta:delta-spark_4.2_2.13:4.4.0"]) is None
    jars[1].unlink()
    assert jarcache.cached_jars(COORDS) is None
    assert "spark.jars.packages" in session_conf(COORDS, {}, {})


def test_remote_or_missing_resolutions_are_not_remembered(jars: list[Path]) -> None:
    jarcache.remember(COORDS, "hdfs:///jars/x.jar")
    jarcache.remember(COORDS, None)
    assert not jarcache.manifest(COORDS).exists()
