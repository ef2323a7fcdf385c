"""Direct copies into a relational target: rows go from the source's server to the
target's on the executors, one Spark task per partition, with no Spark rows in between.

Same engine, a target may copy its own bulk stream (PostgreSQL's binary COPY). Between
engines, the source's neutral text stream (``Source.text_stream``, the form in
``sparkdms.connectors.wire``) goes into the target's ``load_text``. Either way one task
attempt is one target transaction under the writer's protocol (``commit_partition``): the
attempt commits only after the source's stream ended cleanly, and a retried attempt first
removes what earlier attempts of its partition wrote.

A value the target refuses fails the attempt with a mark the driver finds in Spark's error
text (``DirectCopyRefused``), so the load redoes the table through Spark rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from sparkdms.connectors.base import WriteResult
from sparkdms.connectors.sql.spec import WriteSpec
from sparkdms.connectors.sql.writer import commit_partition, task_attempt

from sparkdms.plan import TablePlan

# A refused row crosses from the executor to the driver as text in Spark's error: this
# mark, then the kind and the target's one-line message.
REFUSED_MARK = "sparkdms-direct-copy-refused: "


def first_line(err: BaseException) -> str:
    """``kind: message (SQLSTATE x)`` of a target's error."""
    from sparkdms.connectors.sql.rejects import refusal_kind

    text = (str(err).strip().splitlines() or [type(err).__name__])[0]
    state = getattr(err, "sqlstate", None)
    return f"{refusal_kind(text)}: {text}" + (f" (SQLSTATE {state})" if state else "")


def refused(err: BaseException) -> RuntimeError:
    """The error an executor raises for a value the target refused (the driver reads it)."""
    return RuntimeError(REFUSED_MARK + first_line(err))


def refused_in(text: str) -> tuple[str, str] | None:
    """(reason, kind) of the first refused row named in a failed job's text, else None."""
    m = re.search(re.escape(REFUSED_MARK) + r"(\w+): ([^\n]*)", text)
    return None if m is None else (m.group(2).strip(), m.group(1))


def wanted(plan: TablePlan, settings: Any) -> bool:
    """A direct copy may be tried at all: ``Sparkdms.DirectCopy`` on, no table-settings rule,
    no LOB limit (those are applied to Spark rows)."""
    return bool(settings["Sparkdms.DirectCopy"]) and not plan.settings and plan.lob_limit is None


def rebatched(chunks: Iterable[Any], size: int = 1 << 20) -> Iterator[bytes]:
    """The chunks (a row each, from a COPY read) joined into blocks of about ``size`` bytes:
    one write per block instead of one per row (a third less time for a COPY relay)."""
    block = bytearray()
    for chunk in chunks:
        block += chunk
        if len(block) >= size:
            yield bytes(block)
            block.clear()
    if block:
        yield bytes(block)


def run_copies(spark: Any, plan: TablePlan, items: Sequence[Any],
               copy: Callable[[Any], tuple[int, int, int, int]], exact: bool = True) -> WriteResult:
    """One Spark task per item, ``copy(item)`` on the executor; the written attempts as the
    write's result. ``exact``: a refused value is what the DataFrame path would meet too (the
    error policy may stop at once); else the table is always redone through Spark rows."""
    from sparkdms.connectors.sql.staging import written

    from sparkdms.errors import DirectCopyRefused
    from sparkdms.localrun import run_tasks

    try:
        results = run_tasks(spark, items, copy)
    except Exception as err:  # a refused row: DirectCopyRefused (the load may redo it)
        found = refused_in(str(err))
        if found is None:
            raise
        raise DirectCopyRefused(plan.source_label, *found, exact=exact) from None
    return written([{"part": p, "attempt": a, "rows": n, "replaced": r}
                    for p, a, n, r in results])


def copy_partition(spec: WriteSpec, source_class: type, source: Any,
                   query: str) -> tuple[int, int, int, int]:
    """Same engine: the source's bulk stream straight into the target's."""
    part, attempt = spec.placed(task_attempt())

    def fill(connector: Any, cur: Any) -> int:
        return connector.copy_stream(cur, spec, source_class(source), query)

    return commit_partition(spec, fill, part, attempt)


def text_partition(spec: WriteSpec, source_class: type, source: Any,
                   item: Any) -> tuple[int, int, int, int]:
    """Between engines: one partition of the source's text stream into the target's
    ``load_text``, which reads it to its end before the attempt commits."""
    part, attempt = spec.placed(task_attempt())

    def fill(connector: Any, cur: Any) -> int:
        chunks = source_class(source).text_chunks(item)
        try:
            return connector.load_text(cur, spec, chunks, attempt)
        finally:
            chunks.close()  # the source's reader and connection go with it

    return commit_partition(spec, fill, part, attempt)


def copy_text(spark: Any, target: Any, source: Any, plan: TablePlan, settings: Any,
              load_id: str) -> WriteResult:
    """The table through the source's text stream into ``target`` (both checked by the
    target's ``can_direct_copy``)."""
    stream = source.text_stream(plan)
    spec = replace(target.write_spec(plan, settings, load_id), columns=stream.columns)
    endpoint, source_class = source.endpoint, type(source)
    return run_copies(spark, plan, stream.parts,
                      lambda item: text_partition(spec, source_class, endpoint, item),
                      exact=False)
