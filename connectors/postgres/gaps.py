"""What a PostgreSQL source has that the load does not carry as it is, for the assessment
(``PostgresAssessment``): partitioned tables loaded as one table, indexes and foreign keys
that exist only on partitions, materialized views. Index methods other than B-tree are
left out at discovery (``objects.special_indexes``) and said as not created."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparkdms.assess.model import Item

# (query -> (schema, table, name, detail), level, effort, message): SqlAssessment.TABLE_FINDINGS
PARTITIONED_SQL = """
SELECT n.nspname, c.relname, c.relname,
       pg_get_partkeydef(c.oid) || ', ' || (SELECT count(*) FROM pg_inherits h
                                            WHERE h.inhparent = c.oid) || ' partition(s)'
FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT c.relispartition AND n.nspname = %s"""

# the root table of a partition, in the schema asked for
_ROOT = ("JOIN pg_class r ON r.oid = pg_partition_root(part.oid) "
         "JOIN pg_namespace rn ON rn.oid = r.relnamespace")

PARTITION_INDEXES_SQL = f"""
SELECT rn.nspname, r.relname, i.relname, part.relname || ': ' || pg_get_indexdef(ix.indexrelid)
FROM pg_index ix JOIN pg_class part ON part.oid = ix.indrelid AND part.relispartition
JOIN pg_class i ON i.oid = ix.indexrelid {_ROOT}
WHERE NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = ix.indexrelid)
  AND rn.nspname = %s"""

PARTITION_FKS_SQL = f"""
SELECT rn.nspname, r.relname, con.conname, part.relname || ': ' || pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class part ON part.oid = con.conrelid AND part.relispartition
{_ROOT}
WHERE con.contype = 'f' AND con.conparentid = 0 AND rn.nspname = %s"""

FINDINGS = (
    (PARTITIONED_SQL, "warning", "medium", "partitioned table (PARTITION BY {detail}) is loaded "
     "as one plain table: the target is not partitioned; partition it by hand if it matters"),
    (PARTITION_INDEXES_SQL, "warning", "medium", "index {name} exists only on partition "
     "{detail}: the partitions are loaded as one table and the index is not created"),
    (PARTITION_FKS_SQL, "warning", "medium", "foreign key {name} exists only on partition "
     "{detail}: the partitions are loaded as one table and the key is not created"),
)

MATVIEWS_SQL = ("SELECT schemaname, matviewname FROM pg_matviews WHERE schemaname = %s "
                "ORDER BY 1, 2")


def matview_items(connector: Any, schemas: Sequence[str]) -> list[Item]:
    out = []
    for schema in schemas:
        for s, name in connector.query(MATVIEWS_SQL, (schema,)):
            out.append(Item(
                "view", "warning", "medium", f"materialized view {s}.{name}: the target gets no "
                "materialized view (no stored rows, REFRESH or indexes); its query is converted "
                "as a plain view (converted_views), and a selection with table-type view or all "
                "loads its rows as a plain table", f"{s}.{name}",
                action="create it on the target as a table or materialized view by hand"))
    return out
