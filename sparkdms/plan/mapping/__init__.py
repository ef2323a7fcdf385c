"""AWS DMS table mappings: the ``{"rules": [...]}`` document, as AWS documents it.

rules.py parses and checks every rule; selection.py and filters.py choose tables and rows;
transformations.py and expressions.py shape columns, names and added values;
table_settings.py splits reads and limits LOBs; lob.py applies the limit at load time.
"""

from sparkdms.plan.mapping.base import Rule
from sparkdms.plan.mapping.rules import parse_rules
from sparkdms.plan.mapping.selection import select_tables, table_wanted

__all__ = ["Rule", "parse_rules", "select_tables", "table_wanted"]
