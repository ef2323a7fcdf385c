"""Package list for setuptools (the rest of the metadata is in pyproject.toml).

The wheel installs one top-level package, ``sparkdms``. The folders ``connectors/`` and
``jobs/`` stay where the design card puts them and are installed as
``sparkdms.connectors`` and ``sparkdms.jobs``; a new engine package under ``connectors/``
is picked up here without a change.
"""

from setuptools import find_packages, setup

MAPPED = {"sparkdms.connectors": "connectors", "sparkdms.jobs": "jobs"}


def packages() -> list[str]:
    out = find_packages(include=["sparkdms", "sparkdms.*"])
    for name, folder in MAPPED.items():
        out += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]
    return out


setup(packages=packages(), package_dir=MAPPED,
      package_data={"sparkdms": ["conf/*.properties"]})  # the JVM log config
