"""The driver JVM's class archive (sparkdms/classarchive.py): used only when it is there
whole, keyed by what changes the JVM's classpath, and dropped when a JVM cannot start with it.
The JVM itself is checked in tests/integration/test_class_archive.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sparkdms import classarchive
from sparkdms.spark import JAVA_OPTIONS, start_from_archive


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPARKDMS_CACHE", str(tmp_path))
    monkeypatch.delenv(classarchive.ENV, raising=False)
    return tmp_path


def put_archive(size: int, recorded: int | None = None) -> Path:
    key = classarchive.key()
    assert key is not None, "java and pyspark are installed in the test environment"
    path = classarchive.archive_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    path.with_suffix(".size").write_text(str(size if recorded is None else recorded))
    return path


def test_an_archive_is_used_only_when_it_is_there_whole(cache: Path) -> None:
    assert classarchive.archive() is None and classarchive.driver_options() == ""
    path = put_archive(100)
    assert classarchive.archive() == path
    options = classarchive.driver_options()
    assert f"-XX:SharedArchiveFile={path}" in options and "-XX:+VerifySharedSpaces" in options
    put_archive(100, recorded=4096)  # cut short: not the size it was built with
    assert classarchive.archive() is None and classarchive.driver_options() == ""


def test_it_can_be_turned_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put_archive(10)
    monkeypatch.setenv(classarchive.ENV, "0")
    assert classarchive.driver_options() == ""
    assert classarchive.build() is None


def test_the_key_follows_the_classpath_environment_and_needs_java(
        cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SPARK_CONF_DIR", raising=False)
    plain = classarchive.key()
    monkeypatch.setenv("SPARK_CONF_DIR", str(tmp_path))
    assert classarchive.key() not in (None, plain)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    assert classarchive.key() is None and classarchive.archive() is None


class Builder:
    """Records the Java options of each start; a start with ``refuse`` in them fails."""

    def __init__(self, refuse: str) -> None:
        self.refuse, self.options, self.starts = refuse, "", []

    def config(self, key: str, value: str) -> Builder:
        assert key == JAVA_OPTIONS
        self.options = value
        return self

    def getOrCreate(self) -> Any:
        self.starts.append(self.options)
        if self.refuse in self.options:
            raise RuntimeError("Java gateway process exited before sending its port number")
        return "session"


def test_a_jvm_that_cannot_start_with_the_archive_starts_without_and_drops_it(cache: Path) -> None:
    path = put_archive(10)
    builder = Builder(refuse="SharedArchiveFile")
    assert start_from_archive(builder, "-Duser.timezone=UTC") == "session"
    crash = classarchive.cache_dir() / "jvm-crash-%p.log"
    assert builder.starts == [f"-Duser.timezone=UTC {classarchive.use_options(path)} "
                              f"-XX:ErrorFile={crash}", "-Duser.timezone=UTC"]
    assert not path.exists() and classarchive.archive() is None


def test_a_start_failing_for_another_reason_keeps_the_archive_and_raises(cache: Path) -> None:
    path = put_archive(10)
    builder = Builder(refuse="-D")
    with pytest.raises(RuntimeError, match="gateway"):
        start_from_archive(builder, "-Duser.timezone=UTC")
    assert len(builder.starts) == 2 and path.exists()


def test_without_an_archive_the_options_are_left_alone(cache: Path) -> None:
    builder = Builder(refuse="SharedArchiveFile")
    assert start_from_archive(builder, "-Duser.timezone=UTC") == "session"
    assert builder.starts == [""]  # the caller's options were set on the builder already


def test_building_prunes_archives_whose_install_is_gone(cache: Path, tmp_path: Path) -> None:
    import json

    keep = put_archive(10)
    folder = keep.parent
    alive, gone = folder / "spark-driver-alive.jsa", folder / "spark-driver-gone.jsa"
    for path, home in ((alive, tmp_path), (gone, tmp_path / "deleted-venv")):
        path.write_bytes(b"x")
        path.with_suffix(".size").write_text("1")
        path.with_suffix(".json").write_text(json.dumps({"java": str(tmp_path), "pyspark": str(home)}))
    classarchive.prune(keep)
    assert keep.exists() and alive.exists() and alive.with_suffix(".json").exists()
    assert not gone.exists() and not gone.with_suffix(".size").exists()
    assert not gone.with_suffix(".json").exists()
    classarchive.prune(keep, most=1)  # only the current one kept
    assert keep.exists() and not alive.exists()
