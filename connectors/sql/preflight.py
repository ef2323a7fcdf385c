"""Before Spark starts: can the target's user create what the load needs? Each target schema
(and the control schema) is asked of the engine (``create_denied``: PostgreSQL's privilege
functions, a CREATE TABLE probe on MariaDB/MySQL); the first refusal stops the task with one
line (exit 2), where it used to fail inside the load with a raw driver trace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sparkdms.errors import EndpointError

if TYPE_CHECKING:
    from sparkdms.plan import TablePlan
    from sparkdms.task.settings import Settings


def check_create(target: Any, plans: Sequence[TablePlan], settings: Settings) -> None:
    schemas = dict.fromkeys(s for p in plans for s in
                            (p.target_schema, target.control_schema(p, settings)) if s)
    for schema in schemas:
        problem = target.create_denied(schema)
        if problem:
            user = target.endpoint.user or "the target user"
            raise EndpointError("target", target.engine,
                                f"user {user!r} cannot load schema {schema!r}: {problem}")
