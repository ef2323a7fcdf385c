"""Package list for setuptools (the rest of the metadata is in pyproject.toml).

The wheel installs one top-level package, ``sparkdms``. The folders ``connectors/`` and
``jobs/`` stay where the design card puts them and are installed as
``sparkdms.connectors`` and ``sparkdms.jobs``; a new engine package under ``connectors/``
is picked up here without a change.
"""

from setuptools import find_packages, setup

MAPPED = {"sparkdms.connectors": "connectors", "sparkdms.jobs": "jobs"}
# folders of data files (no Python): the JVM log config, and the example tasks, which stay
# in conf/examples in a checkout and are installed as sparkdms/examples
DATA = {"sparkdms.conf": ["*.properties"],
        "sparkdms.examples": ["*.yaml", "*.md", "mappings/*.json"]}


def packages() -> list[str]:
    out = find_packages(include=["sparkdms", "sparkdms.*"])
    for name, folder in MAPPED.items():
        out += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]
    return out + [name for name in DATA if name not in out]


setup(packages=packages(), package_dir={**MAPPED, "sparkdms.examples": "conf/examples"},
      package_data=DATA, include_package_data=False)
