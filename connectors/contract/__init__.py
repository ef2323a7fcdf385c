"""The contract every engine passes: discover, partitions, read, pushed filters, write,
commit, abort, idempotent retry of a partition, and the declared hooks.

Engine-neutral: the checks create tables and read them back through an
:class:`~sparkdms.connectors.contract.harness.EngineHarness` the engine's tests supply
(its own driver or files, never the connector under test), and compare the rows both
ways (put in minus read back, read back minus put in).

``harness``  the EngineHarness base class, plan and frame helpers
``data``     the contract rows, canonical values, filter cases
``suite``    ``SourceContract`` / ``TargetContract``: pytest classes to subclass (imports
             pytest; the rest of this package does not)

Run against the in-memory fake engine in ``tests/unit/test_contract_fake.py`` and against
each real engine in ``tests/integration/test_contract_engines.py``.
"""

from sparkdms.connectors.contract.data import ContractColumn
from sparkdms.connectors.contract.harness import EngineHarness

__all__ = ["ContractColumn", "EngineHarness"]
