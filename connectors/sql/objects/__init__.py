"""Secondary objects around a relational load: what to drop before it and what to
create after it.

AWS DMS creates tables and primary keys only; sparkdms also carries, after the rows
are in (FKs and indexes last, so the load itself is not slowed down):

  type         notes only: what a user type (enum, domain, composite) loses on a target of
               another family (usertypes.py; domain CHECKs go to ``check``, domain
               DEFAULTs to ``default``; a same-family target creates the types first)
  identity     identity / auto_increment / serial columns, set past the loaded maximum
               (GENERATED ALWAYS kept on a PostgreSQL target)
                                                            Sparkdms.CreateIdentity
  default      portable column defaults (literals, current date/time, uuid)
                                                            Sparkdms.CreateColumnDefaults
  unique       unique constraints                           Sparkdms.CreateSecondaryIndexes
  check        source CHECK constraints that translate (sqlglot), and the member
               lists of enum/set columns stored as text     Sparkdms.CreateCheckConstraints
  index        secondary indexes                            Sparkdms.CreateSecondaryIndexes
  foreign-key  foreign keys between tables of the task      Sparkdms.CreateForeignKeys
  restore      foreign keys of other target tables that pre_load dropped

The primary key follows ``FullLoadSettings.CreatePkAfterFullLoad`` (created at finalize).
Objects are created only for tables this run created (DROP_AND_CREATE, or a table that
did not exist); an existing table kept by TRUNCATE_BEFORE_LOAD / DO_NOTHING keeps its own.

A default or check that cannot be translated or created is a note in the report; an
index, unique constraint, identity or foreign key that fails (duplicates, orphans) is a
task error listing every failure, after everything else was attempted.

``pre_load`` drops the foreign keys that point at tables about to be dropped or
truncated (DROP_AND_CREATE / TRUNCATE_BEFORE_LOAD): the swap could not drop them
otherwise. Those from tables outside the task are restored at the end.

Nothing here knows an engine. Each engine answers through its connector (declared on
``SqlConnector``): ``object_sql()`` returns its ``ObjectSql`` (the statements where it
differs from standard SQL, and the names its catalog already uses);
``referencing_foreign_keys(tp)``, ``source_checks()``, ``special_indexes()``,
``generated_columns()`` read its catalog; ``serial_ddl`` says it takes one writer at a
time. The SQL of each lives in the engine's package (``connectors/<engine>/objects.py``).

Modules: ``model`` (stages, statements, errors), ``discovery`` (checks and special columns
attached to discovered tables), ``naming`` (object names on the target), ``expressions``
(defaults and checks through sqlglot), ``ddl`` (the standard statements, ``ObjectSql``),
``planner`` (what to create), ``runner`` (pre_load / post_load).
"""

from sparkdms.connectors.sql.objects.ddl import ObjectSql, fk_action
from sparkdms.connectors.sql.objects.discovery import attach_checks, group_checks, json_valid_column
from sparkdms.connectors.sql.objects.expressions import (
    NotPortable,
    check_sql,
    default_sql,
    member_check,
    sqlglot_dialect,
)
from sparkdms.connectors.sql.objects.model import (
    FATAL,
    GATES,
    STAGES,
    ObjectsError,
    Referencing,
    Stmt,
)
from sparkdms.connectors.sql.objects.naming import Names, existing_names
from sparkdms.connectors.sql.objects.planner import Planner, object_statements
from sparkdms.connectors.sql.objects.runner import LoadState, post_load, pre_load

__all__ = [
    "FATAL", "GATES", "STAGES", "LoadState", "Names", "NotPortable", "ObjectSql",
    "ObjectsError", "Planner", "Referencing", "Stmt", "attach_checks", "check_sql", "default_sql",
    "existing_names", "fk_action", "group_checks", "json_valid_column", "member_check",
    "object_statements", "post_load", "pre_load", "sqlglot_dialect",
]
