"""AWS DMS table mappings: the ``{"rules": [...]}`` document, as AWS documents it."""

from sparkdms.mapping.rules import Rule, parse_rules
from sparkdms.mapping.selection import select_tables, table_wanted

__all__ = ["Rule", "parse_rules", "select_tables", "table_wanted"]
