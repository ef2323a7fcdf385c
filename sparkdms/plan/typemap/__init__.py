"""Type conversion between engines: one logical type set in the middle.

Each engine's package holds its type tables (native -> logical and logical -> native) in
a ``Dialect`` (``sparkdms.connectors.base``); ``dialect(engine)`` finds it through the
engine registry. This package holds what is engine-neutral: rule helpers (``rules``),
the fidelity check of a conversion (``fidelity``) and column resolution (``resolve``).
"""

from __future__ import annotations

from sparkdms.connectors.base import Dialect
from sparkdms.registry import dialect

__all__ = ["Dialect", "dialect"]
