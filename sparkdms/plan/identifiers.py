"""Identifier rules per target: case folding, reserved words, maximum length.

sparkdms always quotes identifiers, so a reserved word or a mixed-case name works on
every target; the assessment still lists reserved words, because every hand-written
query against the target will have to quote them too.

``Sparkdms.IdentifierCase`` decides the case of target names:
  keep    (default, as AWS DMS) names keep the source's spelling
  lower / upper
  target  the target's own folding of unquoted names (PostgreSQL/Redshift lower,
          Oracle/Db2 upper, others keep), so that users need not quote them

Names longer than the target allows are truncated (bytes on PostgreSQL, characters
elsewhere). Two names that become equal on the target -- after folding, truncation,
or because the target compares them case-insensitively (MySQL columns, SQLite,
SQL Server, Spark) -- stop the task before anything is written, naming both sources
and the rename rule that fixes it. So does a name the target refuses even quoted
(``IdentRules.forbidden`` of its dialect: a MySQL name ending in a space, a NUL in a
PostgreSQL name), naming the table, the column and the rule.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from sparkdms.catalog import Index
from sparkdms.connectors.base import LOAD_COLUMNS, IdentRules
from sparkdms.errors import TerminalError
from sparkdms.plan import Plan, TablePlan

SQL92_RESERVED = frozenset("""
absolute action add all allocate alter and any are as asc assertion at authorization avg begin
between bit bit_length both by cascade cascaded case cast catalog char char_length character
character_length check close coalesce collate collation column commit connect connection
constraint constraints continue convert corresponding count create cross current current_date
current_time current_timestamp current_user cursor date day deallocate dec decimal declare
default deferrable deferred delete desc describe descriptor diagnostics disconnect distinct
domain double drop else end escape except exception exec execute exists external extract false
fetch first float for foreign found from full get global go goto grant group having hour identity
immediate in indicator initially inner input insensitive insert int integer intersect interval
into is isolation join key language last leading left level like local lower match max min
minute module month names national natural nchar next no not null nullif numeric octet_length of
on only open option or order outer output overlaps pad partial position precision prepare
preserve primary prior privileges procedure public read real references relative restrict revoke
right rollback rows schema scroll second section select session session_user set size smallint
some space sql sqlcode sqlerror sqlstate substring sum system_user table temporary then time
timestamp timezone_hour timezone_minute to trailing transaction translate translation trim true
union unique unknown update upper usage user using value values varchar varying view when
whenever where with work write year zone
""".split())


DEFAULT_RULES = IdentRules(0, "chars", "keep", SQL92_RESERVED)

CASES: dict[str, Callable[[str, IdentRules], str]] = {
    "keep": lambda name, r: name,
    "lower": lambda name, r: name.lower(),
    "upper": lambda name, r: name.upper(),
    "target": lambda name, r: {"lower": name.lower(), "upper": name.upper()}.get(r.fold, name),
}


class IdentifierError(TerminalError):
    """Two source objects would get the same target name, or a name the target refuses."""

    def __init__(self, problems: list[str],
                 what: str = "identifier collision on the target") -> None:
        super().__init__(f"{what}: " + "; ".join(problems))
        self.problems = problems


def rules_for(engine: str) -> IdentRules:
    """The engine's identifier rules, from its dialect (SQL-92's for an unknown engine)."""
    from sparkdms.registry import known_dialect

    found = known_dialect(engine)
    return found.identifiers if found is not None else DEFAULT_RULES


def truncate(name: str, rules: IdentRules) -> str:
    if not rules.max_length:
        return name
    if rules.unit == "bytes":
        return name.encode()[: rules.max_length].decode(errors="ignore")
    return name[: rules.max_length]


def too_long(name: str, rules: IdentRules) -> bool:
    size = len(name.encode()) if rules.unit == "bytes" else len(name)
    return bool(rules.max_length) and size > rules.max_length


def fit(name: str, rules: IdentRules, case: str = "keep") -> str:
    """Target spelling of a name: folded, invalid characters replaced, truncated."""
    out = CASES[case](name, rules)
    for ch in rules.invalid_chars:
        out = out.replace(ch, "_")
    return truncate(out, rules)


def is_reserved(name: str, rules: IdentRules) -> bool:
    return name.lower() in rules.reserved


def refused(name: str, rules: IdentRules) -> str | None:
    """The target's rule that ``name`` breaks (``IdentRules.forbidden``), or None."""
    return next((why for pattern, why in rules.forbidden if re.search(pattern, name)), None)


def unique_name(base: str, rules: IdentRules, taken: set[str], ci: bool = True) -> str:
    """``base`` fitted to the length limit; if taken, a short hash keeps it unique."""
    def key(n: str) -> str:
        return n.lower() if ci else n

    name = truncate(base, rules)
    if key(name) not in taken:
        taken.add(key(name))
        return name
    digest = hashlib.sha1(base.encode()).hexdigest()
    for i in range(0, 32, 8):
        tail = f"_{digest[i:i + 8]}"
        room = (rules.max_length or len(base) + len(tail)) - len(tail)
        candidate = truncate(base, replace(rules, max_length=room)) + tail if rules.max_length \
            else base + tail
        if key(candidate) not in taken:
            taken.add(key(candidate))
            return candidate
    raise IdentifierError([f"cannot find a free name for {base!r}"])


@dataclass
class Finding:
    kind: str  # collision | invalid | truncated | reserved | renamed
    table: str  # source table
    message: str
    column: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "table": self.table, "column": self.column,
                "message": self.message}


@dataclass
class _Names:
    rules: IdentRules
    ci: bool
    seen: dict[str, str] = field(default_factory=dict)  # compare key -> first source

    def claim(self, target: str, source: str) -> str | None:
        key = target.lower() if self.ci else target
        first = self.seen.setdefault(key, source)
        return first if first != source else None


def _load_column_clash(tp: TablePlan, source: str, target: str) -> list[Finding]:
    """A column named like one sparkdms adds while loading (LOAD_COLUMNS) would clash."""
    if not {source.lower(), target.lower()} & set(LOAD_COLUMNS):
        return []
    return [Finding("invalid", tp.source_label, (
        f"column {source or target!r} of {tp.source_label}: the name is taken by a column "
        f"sparkdms adds while loading ({', '.join(LOAD_COLUMNS)}); exclude it with a "
        "remove-column transformation rule, or rename it (rule-target column, rule-action "
        "rename) when only its target name clashes"), source)]


def _fit_table(tp: TablePlan, rules: IdentRules, case: str,
               findings: list[Finding]) -> TablePlan:
    renamed: dict[str, str] = {}
    columns = []
    names = _Names(rules, rules.ci_columns)
    for c in tp.columns:
        new = fit(c.target_name, rules, case)
        if new != c.target_name:
            renamed[c.target_name] = new
            if too_long(CASES[case](c.target_name, rules), rules):
                findings.append(Finding("truncated", tp.source_label, f"column {c.target_name!r} "
                                        f"is longer than {rules.max_length} {rules.unit}: "
                                        f"{new!r} on the target", c.source_name))
        other = names.claim(new, c.target_name)
        if other is not None:
            findings.append(Finding("collision", tp.source_label, (
                f"columns {other!r} and {c.target_name!r} of {tp.source_label} both become "
                f"{new!r} on the target; add a rename transformation rule (rule-target column, "
                f"rule-action rename) for one of them"), c.source_name))
        why = refused(new, rules)
        if why is not None:
            was = f"column {new!r}" if new == (c.source_name or new) else \
                f"column {c.source_name!r} (on the target {new!r})"
            findings.append(Finding("invalid", tp.source_label, (
                f"{was} of {tp.source_label}: {why}; add a rename transformation rule "
                "(rule-target column, rule-action rename) for it"), c.source_name))
        findings += _load_column_clash(tp, c.source_name or "", new)
        if is_reserved(new, rules):
            findings.append(Finding("reserved", tp.source_label, f"column {new!r} is a reserved "
                                    "word on the target: queries must quote it", c.source_name))
        columns.append(replace(c, target_name=new))

    def remap(cols: Iterable[str]) -> tuple[str, ...]:
        return tuple(renamed.get(c, c) for c in cols)

    schema = fit(tp.target_schema, rules, case) if tp.target_schema else tp.target_schema
    return replace(tp, target_schema=schema, target_name=fit(tp.target_name, rules, case),
                   columns=tuple(columns),
                   primary_key=remap(tp.primary_key),
                   indexes=tuple(Index(i.name, remap(i.columns), i.unique) for i in tp.indexes))


def apply_rules(plan: Plan, engine: str, case: str = "keep") -> tuple[Plan, list[Finding]]:
    """Fit every target table and column name to the target's rules; report collisions,
    names the target refuses, truncations and reserved words (the first two are errors, see
    ``check``)."""
    rules = rules_for(engine)
    findings: list[Finding] = []
    tables = []
    schemas: dict[str, _Names] = {}
    for tp in plan.tables:
        fitted = _fit_table(tp, rules, case, findings)
        if fitted.target_name != tp.target_name and too_long(CASES[case](tp.target_name, rules),
                                                             rules):
            findings.append(Finding("truncated", tp.source_label, f"table name {tp.target_name!r} "
                                    f"is longer than {rules.max_length} {rules.unit}: "
                                    f"{fitted.target_name!r} on the target"))
        first_in_schema = fitted.target_schema not in schemas
        names = schemas.setdefault(fitted.target_schema, _Names(rules, rules.ci_tables))
        other = names.claim(fitted.target_name, tp.source_label)
        if other is not None:
            findings.append(Finding("collision", tp.source_label, (
                f"tables {other} and {tp.source_label} both become {fitted.target_label} on the "
                "target; add a rename transformation rule (rule-target table) for one of them")))
        why = refused(fitted.target_name, rules)
        if why is not None:
            findings.append(Finding("invalid", tp.source_label, (
                f"table {tp.source_label} (on the target {fitted.target_name!r}): {why}; add a "
                "rename transformation rule (rule-target table, rule-action rename) for it")))
        why = refused(fitted.target_schema, rules) \
            if first_in_schema and fitted.target_schema else None  # "": the default schema
        if why is not None:
            findings.append(Finding("invalid", tp.source_label, (
                f"schema {fitted.target_schema!r} (the target of {tp.source_label}): {why}; "
                "add a rename transformation rule (rule-target schema, rule-action rename) "
                "for it")))
        if is_reserved(fitted.target_name, rules):
            findings.append(Finding("reserved", tp.source_label, f"table {fitted.target_name!r} is "
                                    "a reserved word on the target: queries must quote it"))
        tables.append(fitted)
    return replace(plan, tables=tuple(tables)), findings


_collect: ContextVar[list[Finding] | None] = ContextVar("sdms_identifier_findings", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[list[Finding]]:
    """Plan without stopping at collisions: every finding is recorded (the assessment)."""
    found: list[Finding] = []
    token = _collect.set(found)
    try:
        yield found
    finally:
        _collect.reset(token)


def check(plan: Plan, engine: str, case: str = "keep") -> Plan:
    """``apply_rules``, raising IdentifierError when two names collide or the target refuses
    a name."""
    fitted, findings = apply_rules(plan, engine, case)
    collector = _collect.get()
    if collector is not None:
        collector.extend(findings)
        return fitted
    invalid = [f.message for f in findings if f.kind == "invalid"]
    collisions = [f.message for f in findings if f.kind == "collision"]
    if invalid:
        raise IdentifierError(invalid + collisions, f"names {engine} cannot hold")
    if collisions:
        raise IdentifierError(collisions)
    return fitted
