"""Secondary objects around a relational load: what to drop before it and what
to create after it (indexes, unique constraints, foreign keys, sequences)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sparkdms.plan import TablePlan
    from sparkdms.settings import Settings


def pre_load(connector: Any, plans: Sequence[TablePlan], settings: Settings) -> list[str]:
    return []


def post_load(connector: Any, plans: Sequence[TablePlan], settings: Settings) -> list[str]:
    return []
