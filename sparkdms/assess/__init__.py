"""``sparkdms assess TASK``: a premigration assessment, as JSON and as an HTML page.

What a DBA gets, per table: the column-by-column type mapping with what each
conversion does (exact, represented differently, lossy, unsupported), tables
without a primary key or unique index, LOB columns, names that collide or get cut
on the target, defaults/checks/keys that will not be carried, and data problems
found by sampling the source (zero dates, values out of range for the target type,
text longer than the target column, NUL characters, infinities, wrong SQLite storage
classes). Then the source's views (each converted to the target dialect with sqlglot,
an action item where that fails), triggers and routines, and the AWS DMS premigration
checks that apply to these engines. Every item has a level (error / warning / info)
and an effort grade as AWS SCT gives them (simple / medium / significant); a table's
grade is its hardest item.

An ``error`` item means the task refuses to run (or a table will fail) until it is
fixed; the ``action`` says how (usually a type_overrides line or a mapping rule).

Nothing here knows an engine: what is engine-specific (probe SQL, catalog queries for
views, triggers and routines, CDC settings, the values a target cannot store) comes from
the engines' ``AssessmentHooks`` (``Source.assessment()`` / ``Target.assessment()``,
declared in ``sparkdms.connectors.base``).

Modules: ``model`` (items, reports, the assessment), ``columns`` (type conversions, keys,
LOBs, names), ``probes`` (data probes and the sampling run), ``objects`` (views, triggers,
routines, objects not created), ``checks`` (CDC and engine checks, existing targets),
``run`` (the ``assess()`` entry), ``output`` (JSON, console summary), ``html`` (the page).
"""

from sparkdms.assess.model import EFFORTS, LEVELS, Assessment, ColumnReport, Item, TableReport
from sparkdms.assess.objects import convert_view
from sparkdms.assess.output import print_summary, write
from sparkdms.assess.probes import Probe, ProbeContext, data_items, table_probes
from sparkdms.assess.run import assess, assess_table, plan_leniently

__all__ = [
    "EFFORTS", "LEVELS", "Assessment", "ColumnReport", "Item", "Probe", "ProbeContext",
    "TableReport", "assess", "assess_table", "convert_view", "data_items", "plan_leniently",
    "print_summary", "table_probes", "write",
]
