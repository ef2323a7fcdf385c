"""Change data capture: ``full-load-and-cdc`` and ``cdc`` tasks (``sparkdms run``).

The flow (``run.py``): the source's change stream starts (PostgreSQL: the task's logical
slot) and its position is recorded in ``awsdms_status`` BEFORE the full load reads its
snapshot; the full load runs as for ``full-load``; then every change committed up to the
moment catching up began is applied, batch after batch, each batch in one target
transaction with the checkpoint; the source is told (slot advanced) only after the target
committed. A rerun resumes from the checkpoint; ``--follow`` keeps applying until SIGINT or
SIGTERM, which stop at a checkpoint.

Changes committed between the stream's start and the snapshot are applied again on top of
rows that already have them: upserts by key and deletes by key make this converge to the
source's state (every later change of the key is applied too, in order).

Modules: ``steps`` (changes -> ordered or net steps, schema drift), ``frame`` (steps ->
target rows through the full load's column expressions), ``policy`` (apply-error policies),
``run`` (the loop).
"""
