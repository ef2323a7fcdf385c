"""The declared interface between the core and an engine.

Every name the core calls on an engine is declared here; nothing is reached through
``getattr``. An engine is one package under ``connectors/`` (``sparkdms.connectors.<name>``
once installed) that exposes an :class:`EngineSpec` and is registered in the entry-point
group ``sparkdms.engines`` (see ``sparkdms/registry.py`` and README "Writing an engine").

Roles:

``Source``   discover a catalog (with a sampler for engines that infer a schema), split a
             table plan into opaque partitions only it interprets, read them into a
             DataFrame with the filters it can push down; it says which it cannot push
             and the core applies those in Spark.
``Target``   prepare (create/truncate, staging), write in parallel with an idempotent
             per-partition commit, commit (finalize: swap or merge), abort (undo), with
             declared :class:`Capabilities`.
``Dialect``  type tables (native <-> logical), identifier rules and quoting of one engine
             family; available without a connection (``sparkdms convert``, assessment).

Hooks that only some engines have (validation in SQL, assessment probes, objects after the
load) are declared below with a neutral default ("this engine has none").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from sparkdms.catalog import Catalog
from sparkdms.errors import UnsupportedTypeError
from sparkdms.types import LType, NativeType, parse_native

if TYPE_CHECKING:
    from datetime import datetime

    from pyspark.sql import DataFrame, SparkSession

    from sparkdms.catalog import Column, Table
    from sparkdms.plan import Filter, Partition, Partitioning, TablePlan
    from sparkdms.plan.typemap.resolve import Resolved
    from sparkdms.plan.typemap.rules import LogicalRule, NativeRule
    from sparkdms.task import Endpoint
    from sparkdms.task.settings import Setting, Settings

# selects (schema, table, kind) -> bool; given to discover() so it reads only what is needed
TableFilter = Callable[[str, str, str], bool]

# The end-of-partition marker: a boolean column a source adds to its frame when asked
# (``Source.marks_partition_end``, ``read(..., end_marker=True)``), false on every row but
# one extra row (its other columns NULL) that the source's reader produces after the last row
# of each partition. A target whose rows leave Spark through a Python worker
# (``Target.wants_end_marker``) commits a partition only when that row came last: a worker
# can see a JVM-side read failure as a clean end of its input, and would commit half a
# partition as a success. Spark-side filters keep the row; the target strips it.
END_MARKER = "_sdms_end"
# staging tables of engines that tag rows by a column carry the writing attempt in this one
ATTEMPT_COLUMN = "_sdms_attempt"
# columns sparkdms adds while loading: a source or target column may not be named so
LOAD_COLUMNS = (END_MARKER, ATTEMPT_COLUMN)


# -- the dialect: what an engine's names and types are, without a connection ------------------

@dataclass(frozen=True)
class IdentRules:
    """How an engine treats identifiers (sparkdms always quotes them)."""

    max_length: int  # 0 = no practical limit
    unit: str  # "bytes" | "chars"
    fold: str  # how the engine folds unquoted names: lower | upper | keep
    reserved: frozenset[str]
    ci_columns: bool = False  # column (and index) names compare case-insensitively
    ci_tables: bool = False
    invalid_chars: str = ""  # characters replaced by "_" in names
    # names the engine refuses even quoted, as (regular expression searched in the schema,
    # table or column name, the rule in words): a target name that matches stops the plan,
    # naming the table, the column and the rule (sparkdms/plan/identifiers.py)
    forbidden: tuple[tuple[str, str], ...] = ()


def _no_fallback(_parsed: NativeType) -> NativeRule | None:
    return None


@dataclass(frozen=True)
class Dialect:
    """Type tables and identifier rules of one engine family.

    ``family``: engines of one family keep native types exactly between them (PostgreSQL and
    Aurora PostgreSQL, MySQL and MariaDB); ``""`` for engines that never copy native types."""

    name: str
    native: Mapping[str, NativeRule]
    logical: Mapping[str, LogicalRule]
    sqlglot: str | None = None  # sqlglot dialect for expressions (views, checks, defaults)
    fallback: Callable[[NativeType], NativeRule | None] = _no_fallback
    check_constraints: bool = True  # CHECK (...) enforced (enum/set members, checks)
    notes: Mapping[str, str] = field(default_factory=dict)  # kind -> how the target stores it
    # native type name -> (code, message, example): what storing a value as it changes it
    native_notes: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)
    identifiers: IdentRules = IdentRules(0, "chars", "keep", frozenset())
    family: str = ""
    quote_char: str = '"'

    def to_logical(self, native: str) -> LType:
        """Logical type of a native spelling; kind ``unknown`` when no row maps it."""
        parsed = parse_native(native)
        rule = self.native.get(parsed.name) or self.fallback(parsed)
        if rule is None:
            return LType("unknown", native=native)
        ltype = rule(parsed)
        return LType("array", element=ltype) if parsed.array_dims else ltype

    def to_native(self, ltype: LType) -> str:
        rule = self.logical.get(ltype.kind)
        if rule is None:
            raise UnsupportedTypeError("?", "?", str(ltype), f"{self.name} has no mapping")
        return rule(ltype)

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def same_family(self, other: Dialect | None) -> bool:
        """Both engines are of one family (native types and SQL carry over exactly)."""
        return other is not None and bool(self.family) and self.family == other.family


# -- what an engine package registers ---------------------------------------------------------

@dataclass(frozen=True)
class EngineSpec:
    """One engine, as its package declares it. ``connector`` and ``dialect`` are
    ``"module:attribute"`` strings imported only when the engine is used, so a package's
    ``__init__`` stays cheap and a user without pymongo can still run a PostgreSQL task."""

    name: str
    dialect: str  # "module:ATTR" of a Dialect
    connector: str | None = None  # "module:Class"; None: type tables only, no connector yet
    aliases: tuple[str, ...] = ()
    settings: Mapping[str, Setting] = field(default_factory=dict)  # "Sparkdms.FetchSize" ...
    summary: str = ""


# -- neutral values passed between the stages ------------------------------------------------

@dataclass(frozen=True)
class Capabilities:
    """What a target can do; the core decides by these, never by the engine's name."""

    transactional_staging: bool = False  # loads into staging, swaps/merges in one commit
    upsert: bool = False  # merges by key
    direct_copy_from: frozenset[str] = frozenset()  # source families it copies without Spark rows
    creates_objects_after_load: bool = False  # indexes, constraints, FKs in post_load
    validates_in_sql: bool = False  # the target computes validation checksums itself


@dataclass(frozen=True)
class WriteResult:
    """What ``write`` did; ``receipt`` is the engine's own commit message (e.g. the task
    attempts Spark reported successful), handed back to ``commit``."""

    rows: int
    partitions: int
    error_rows: int = 0
    receipt: Any = None
    stats: Mapping[str, Any] = field(default_factory=dict)  # added to the table statistics
    # rows the target refused (sparkdms.load.rejects.Reject: key, column, value, reason, ...)
    rejects: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class ReadResult:
    """A source read: the DataFrame, and what the read learned (e.g. zero dates loaded as
    NULL), which the core adds to the table's statistics."""

    frame: DataFrame
    stats: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TextStream:
    """A table's rows as the neutral text stream of a direct copy between two engines
    (the form: ``sparkdms.connectors.wire``): the target columns in line order, and one
    picklable item per Spark task, which ``Source.text_chunks`` reads on an executor."""

    columns: tuple[str, ...]
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class RunRecord:
    """How far one task got with one table, as the target keeps it for ``--resume``:
    the load that wrote it, the plan's fingerprint, its state (``loading``: rows go into the
    load's staging; ``committed``: the staging was made the target table; ``done``: the
    objects after the load exist too) and the rows committed."""

    load_id: str
    fingerprint: str
    state: str
    rows: int = 0


@dataclass(frozen=True)
class KeptPart:
    """A partition an earlier load of the table committed to its staging (a ledger row)."""

    part: int
    attempt: int
    rows: int


class RejectStore(Protocol):
    """Where a target keeps the rows it refused during a load (sparkdms.load.rejects)."""

    def location(self, plan: TablePlan) -> str:
        """Where the rejects of ``plan``'s table go, for the console ("table x.y")."""
        ...

    def write(self, plan: TablePlan, task: str, load_id: str,
              rejects: Sequence[Mapping[str, Any]]) -> None:
        """Record ``rejects``, the rows of ``plan``'s table that ``task`` could not load."""
        ...


class ResumeStore(Protocol):
    """A target that can continue an unfinished load (``sparkdms run --resume``): it keeps a
    record per task and table, and the committed partitions of a load in its staging."""

    def record_of(self, task: str, plan: TablePlan, settings: Settings) -> RunRecord | None:
        """The table's record for ``task``, or None."""
        ...

    def record(self, task: str, plan: TablePlan, settings: Settings, rec: RunRecord) -> None:
        """Keep ``rec`` as the table's record for ``task`` (in place of any earlier one)."""
        ...

    def forget(self, task: str, plans: Sequence[TablePlan], settings: Settings) -> None:
        """Drop the task's records of these tables (the task finished: nothing to resume)."""
        ...

    def take(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str]:
        """As ``prepare`` but keeping ``load_id``'s staging and ledger rows: take the table's
        lock (LoadConflictError when another run holds it), remove what other loads left;
        returns notes."""
        ...

    def kept(self, plan: TablePlan, settings: Settings, load_id: str) -> list[KeptPart] | None:
        """Under the lock: the partitions ``load_id`` committed, or None when its staging
        table is gone."""
        ...

    def restart(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str]:
        """Under the lock: drop what ``load_id`` kept and create its staging anew (the table
        is reloaded whole); returns notes."""
        ...

    def merged(self, kept: Sequence[KeptPart], result: WriteResult | None) -> WriteResult:
        """The write's result of the whole table: the kept partitions and the new write."""
        ...


@dataclass
class PreLoad:
    """What ``pre_load`` learned and ``post_load`` needs (returned, never kept on the
    connector): notes for the report, and the engine's own state."""

    notes: list[str] = field(default_factory=list)
    state: Any = None


class Sampler:
    """Given to ``discover``: a few rows/documents for engines that must infer a schema.

    ``rows`` is how many to look at (``DocsToInvestigate`` for MongoDB); ``spark()`` starts
    (once) and returns a Spark session for engines that sample through Spark. Relational
    engines never call it, so planning them starts no JVM."""

    def __init__(self, rows: int = 1000, spark: Callable[[], SparkSession] | None = None) -> None:
        self.rows = rows
        self._spark = spark
        self._session: SparkSession | None = None

    def spark(self) -> SparkSession:
        if self._session is None:
            if self._spark is None:
                raise RuntimeError("this command runs without Spark; the engine cannot sample")
            self._session = self._spark()
        return self._session


# -- validation hooks: what an engine gives sparkdms.validate ---------------------------------

if TYPE_CHECKING:
    from pyspark.sql.types import DataType

    from sparkdms.validate.canon import Renderer
    from sparkdms.validate.failures import FailureRow


class SqlValidation(Protocol):
    """An engine that computes validation checksums in its own SQL (``validation_sql``):
    ``sparkdms.validate`` renders every row's canonical text with ``renderer`` and asks the
    database only for counts and sums per key range, through ``connect``."""

    renderer: Renderer  # the canonical text of each value kind in this engine's SQL
    session: tuple[str, ...]  # run first on each validation connection (UTC, ISO output, ...)
    placeholder: str  # the DB-API driver's parameter marker ("%s", "?")
    # as a target: the source families (``Dialect.family``) whose JSON text equals this
    # engine's in SQL after a load; JSON from other sources is compared in Spark
    json_peers: frozenset[str]

    def connect(self) -> Any:
        """A DB-API connection; validation only reads, and rolls back."""
        ...

    def native_hash_key(self) -> str | None:
        """Two sides with the same key hash a stored value of the same native type alike
        (``Renderer.native_row_hash``); None: this server has no such hash."""
        ...

    def qualify(self, schema: str, name: str) -> str:
        """The quoted table name."""
        ...

    def literal(self, value: Any) -> str:
        """A SQL literal (integers and texts)."""
        ...

    def filter_sql(self, f: Filter, table: Table) -> str:
        """A source filter of the plan as a WHERE condition."""
        ...

    def wire_form(self, column: Column, peer: str) -> tuple[str, DataType] | None:
        """As a source: when the load reads ``column`` converted for a target of family
        ``peer`` (arrays as JSON, bit strings, zero dates as NULL, ...), that SELECT
        expression and the Spark type it arrives in; None when it is read as stored."""
        ...


class FailureStore(Protocol):
    """Where a target keeps validation failures: AWS DMS's ``awsdms_validation_failures_v1``
    (columns ``sparkdms.validate.failures.COLUMNS``) in its control schema, or the like."""

    def location(self, plan: TablePlan) -> str:
        """Where the failures of ``plan``'s table go, for the report ("table x.y", ...)."""
        ...

    def write(self, plan: TablePlan, task: str, rows: Sequence[FailureRow]) -> None:
        """Record ``rows``, the failures of ``task`` on ``plan``'s source table, in place of
        an earlier validation's (tables of one task are written one at a time)."""
        ...


class ExpectationsSql(Protocol):
    """great-expectations run in the target database through SQLAlchemy."""

    url: str  # SQLAlchemy URL, password included (never shown)

    def reflected_type(self, native: str) -> str | None:
        """The type great-expectations sees for a column created as ``native`` (what
        ``ExpectColumnValuesToBeOfType`` compares to), or None: not checked."""
        ...

    def reflected_name(self, name: str) -> str:
        """The column ``name`` as great-expectations sees it (SQLAlchemy's reflection of the
        table); where that differs, the checks that query the column are left out."""
        ...


# -- assessment hooks: what an engine gives sparkdms assess / convert -------------------------

if TYPE_CHECKING:
    from sparkdms.assess.model import Item
    from sparkdms.assess.probes import Probe, ProbeContext


class AssessmentHooks:
    """What an engine adds to ``sparkdms assess`` (``Source.assessment()`` /
    ``Target.assessment()``); every default means "this engine has none".

    As a source: SQL fragments over one column (None: the engine cannot tell), its own data
    probes, the sampling run that counts them, and its catalog's views, triggers, routines
    and table findings. As a target: the values it cannot store (the source's probes look
    for them), the functions it lacks (converted views), existing tables."""

    # -- as a source --------------------------------------------------------------------------
    enforces_lengths: bool = True  # declared character lengths hold (SQLite: they do not)

    def length_sql(self, column: str) -> str | None:
        """Characters in the column's text value."""
        return None

    def bytes_sql(self, column: str) -> str | None:
        """Bytes in the column's value (LOB size)."""
        return None

    def nul_sql(self, column: str) -> str | None:
        """True where the column's text holds a NUL character (None: it cannot)."""
        return None

    def decimal_unfit_sql(self, column: str, scale: int, whole: int) -> str | None:
        """True where a decimal has more than ``scale`` fractional or ``whole`` integer
        digits, or is not a number."""
        return None

    def probes(self, ctx: ProbeContext) -> list[Probe]:
        """The engine's own probes of one column (zero dates, storage classes, ...)."""
        return []

    def sample(self, table: Table, probes: Sequence[Probe],
               rows: int) -> tuple[int, list[tuple[int, str | None]]]:
        """Over ``rows`` rows of ``table`` (0: all): the rows read and, per probe, how many
        break it with one offending value."""
        raise NotImplementedError("this engine cannot sample")

    def views(self, schema: str) -> list[tuple[str, str, str]]:
        """(schema, view, definition) of the schema's views."""
        return []

    def triggers(self, schema: str) -> list[tuple[str, str, str, str]]:
        """(schema, table, trigger, body)."""
        return []

    def routines(self, schema: str) -> list[tuple[str, str, str, str, str]]:
        """(schema, name, kind, language, body) of functions and procedures."""
        return []

    def skipped_indexes(self, schema: str) -> list[tuple[str, str, str, str]]:
        """(schema, table, index, definition) of indexes the load does not recreate."""
        return []

    def table_findings(self, schema: str) -> list[Item]:
        """Engine-specific findings about tables (``Item.table``: "schema.table")."""
        return []

    def cdc_checks(self) -> list[Item]:
        """What change data capture needs from the server and does not have."""
        return []

    def engine_checks(self, schemas: Sequence[str]) -> list[Item]:
        """Task-level findings about the source (e.g. non-transactional tables)."""
        return []

    def case_insensitive_columns(self, schema: str) -> list[tuple[str, str, str, str]]:
        """(schema, table, column, collation) of text columns compared case-insensitively."""
        return []

    # -- as a target --------------------------------------------------------------------------
    nul_in_text: str = ""  # what cannot hold NUL characters ("PostgreSQL text"); "": none
    date_range: tuple[str, str, str] | None = None  # (lowest, first too high, as described)
    float_specials: str = ""  # what cannot store NaN / infinity ("MySQL"); "": none
    missing_functions: frozenset[str] = frozenset()  # sqlglot function classes it lacks
    # either role: how it compares text by default ("" where it follows the source's
    # collation) and what it does with CHAR(n) padding (assess/gaps.py compares them)
    case_sensitive_text: str = ""  # e.g. "PostgreSQL compares text case-sensitively"
    char_padding: str = ""  # e.g. "PostgreSQL returns CHAR(n) values padded with spaces"

    def table_exists(self, schema: str, name: str) -> bool | None:
        """Whether the target table exists already (None: not reported)."""
        return None

    # -- either role ----------------------------------------------------------------------------
    def sample_query(self, select: str, rows: int) -> tuple[list[str], list[tuple]]:
        """At most ``rows`` rows of a SELECT in this engine's SQL, ordered by every column:
        (column names, rows); converted views are compared on it (``assess/views.py``)."""
        raise NotImplementedError("this engine cannot run a query")


@dataclass(frozen=True)
class PlannedObject:
    """One object ``post_load`` would create after the load (``sparkdms convert`` and
    ``assess``): its statements, or none and a note of why it is not created."""

    stage: str  # identity | default | unique | check | index | foreign-key | restore
    table: str  # target label
    name: str
    sql: tuple[str, ...] = ()
    note: str = ""


# -- change data capture: what a source's log gives and a target applies ---------------------

CHANGE_OPS = ("insert", "update", "delete", "truncate")


@dataclass(frozen=True)
class Change:
    """One row change from a source's log, as neutral data: ``after`` the new row (insert,
    update) and ``before`` the old row or at least its key (update, delete), by source column
    name, values as the full load reads them (Python values of the logical types); a
    truncate has neither. ``position`` is the source's position of the transaction's commit
    (opaque text only the source orders; every change of one transaction has the same)."""

    op: str  # one of CHANGE_OPS
    schema: str
    table: str
    after: Mapping[str, Any] | None
    before: Mapping[str, Any] | None
    position: str
    commit_time: Any = None  # datetime (UTC) of the commit, when the source gives it
    txid: str = ""


@dataclass(frozen=True)
class ChangeBatch:
    """Whole transactions in commit order, and the position a later read resumes after."""

    changes: tuple[Change, ...]
    position: str


class ChangeStream(Protocol):
    """A source's change log for one task (``Source.change_stream``). Positions are opaque
    text; ``confirm`` tells the source that everything up to a position is applied and
    committed on the target, and only then may the source discard it (advance its slot)."""

    def start(self) -> str:
        """Make sure the log is kept from now on (slot, binlog position) and return the
        current position; for full-load-and-cdc it is taken before the snapshot is read."""
        ...

    def read(self, since: str, until: str | None, max_changes: int) -> Iterator[ChangeBatch]:
        """Committed transactions after ``since`` up to ``until`` (None: up to what was
        committed when the call began), in batches of about ``max_changes`` changes, never
        splitting a transaction."""
        ...

    def confirm(self, position: str) -> None:
        """Everything up to ``position`` is committed on the target."""
        ...

    def position_at(self, when: datetime) -> str:
        """Optional (``CdcStartTime`` of a ``cdc`` task without a checkpoint): a position to
        read from so that every change committed at or after ``when`` (UTC) is read; changes
        before ``when`` may come too (the flow skips them by commit time). Raises when the
        source no longer keeps, or never kept, its log from that time. A stream without
        this method cannot start at a time."""
        ...

    def close(self) -> None:
        ...


@dataclass(frozen=True)
class ApplyStep:
    """A run of one table's changes, target-shaped by the table's plan (the full load's
    column expressions), that a ``ChangeApplier`` applies in order: ``upsert`` rows (every
    target column in ``plan.columns`` order), ``delete`` rows (``plan.primary_key`` values in
    that order), or ``truncate`` (no rows). ``ops``: the source operation of each row
    (insert, update, delete), which the apply-error policies and the statistics use."""

    plan: TablePlan
    action: str  # upsert | delete | truncate
    rows: tuple[tuple[Any, ...], ...] = ()
    ops: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checkpoint:
    """A task's change-processing state, kept on the target (AWS DMS's ``awsdms_status``):
    ``position`` the source position everything up to which is applied (the recovery
    checkpoint), ``phase`` ``FULL LOAD`` (the position was taken before the snapshot, the load
    has not finished) or ``CHANGE PROCESSING``."""

    position: str
    phase: str
    source_time: Any = None  # commit time (UTC) of the last change applied


# decides about a change the target refused: returns the reject to record, None to skip it
# silently; raises to stop the run (sparkdms/cdc/policy.py)
RefuseHook = Callable[[ApplyStep, int, str], "Mapping[str, Any] | None"]


class ChangeApplier(Protocol):
    """How a target applies changes (``Target.change_applier``): idempotently (upserts,
    deletes by key), each batch in ONE target transaction together with the task's
    checkpoint, so a run that dies resumes from the last committed batch."""

    def checkpoint(self, task: str) -> Checkpoint | None:
        """The task's last committed checkpoint, or None (never started)."""
        ...

    def save(self, task: str, checkpoint: Checkpoint) -> None:
        """Record ``checkpoint`` alone (before the full load, after it)."""
        ...

    def apply(self, task: str, steps: Sequence[ApplyStep], checkpoint: Checkpoint,
              refuse: RefuseHook) -> list[Mapping[str, Any]]:
        """Apply ``steps`` in order and record ``checkpoint``, in one transaction; a row the
        target refuses goes to ``refuse`` (its rejects are recorded in the same transaction,
        in ``awsdms_apply_exceptions``); returns the rejects."""
        ...


# -- the roles ---------------------------------------------------------------------------------

class Endpointed:
    """Both roles: an endpoint, its checks and the JVM parts it needs."""

    engine: ClassVar[str]
    dialect: ClassVar[Dialect]
    # Maven coordinates of the JVM parts this engine needs (drivers, Delta, ...)
    packages: ClassVar[tuple[str, ...]] = ()
    spark_conf: ClassVar[dict[str, str]] = {}
    # endpoint option names (under ``options:``) whose values are secrets: redacted everywhere
    # (any option whose key names a password, token or key is treated as one too)
    secret_options: ClassVar[tuple[str, ...]] = ()
    # the top-level ``options:`` keys this engine reads; any other is a task-file error
    endpoint_options: ClassVar[tuple[str, ...]] = ()
    # keys of the endpoint block itself this engine reads besides the common ones (engine,
    # url, host, ...), as AWS DMS names them (``S3Settings``, ``region``, ``endpoint_url``):
    # they reach the connector in ``endpoint.options`` (secrets hidden as any option)
    endpoint_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    @classmethod
    def check_endpoint(cls, endpoint: Endpoint) -> None:
        """Raise TaskConfigError naming the missing or wrong key (before Spark starts)."""

    def check_connection(self) -> None:
        """Raise EndpointError with a clear reason when the endpoint cannot be used."""

    def default_schema(self) -> str:
        """Where the other side's default schema lands (PostgreSQL ``public``, ...)."""
        return ""

    def describe(self) -> dict[str, Any]:
        return {"engine": self.engine, "endpoint": self.endpoint.describe()}

    def bind(self, spark: SparkSession) -> None:
        """Give the connector the session (engines that work through Spark itself)."""

    def to_logical(self, native: str, table: str = "?", column: str = "?") -> LType:
        """Logical type of a native spelling on this endpoint (its own user types too)."""
        return self.dialect.to_logical(native)

    def native_type(self, ltype: LType) -> str:
        """Native DDL type for a logical type (raise UnsupportedTypeError if none)."""
        return self.dialect.to_native(ltype)

    def adapt_column(self, resolved: Resolved, table: Table, column: Column,
                     same_family: bool) -> Resolved:
        """As a target: change a planned column so the engine stores its values exactly
        (e.g. send bit strings as numbers); ``same_family``: the source is of this family."""
        return resolved


class Source(Endpointed, ABC):
    can_source: ClassVar[bool] = True
    # read(..., end_marker=True) adds END_MARKER and each partition's marker row
    marks_partition_end: ClassVar[bool] = False

    @abstractmethod
    def discover(self, wanted: TableFilter, sampler: Sampler) -> Catalog:
        """Tables ``wanted`` selects, with columns (native and logical types), keys, indexes,
        foreign keys and row estimates. ``sampler`` serves engines that infer a schema."""

    def partitions(self, plan: TablePlan, settings: Settings) -> Partitioning:
        """How the read is split: ``plan.parallel_load`` (a table-settings rule, as data) or
        the engine's default. The parts are opaque to the core: only ``read`` interprets
        them; the core counts them and prints ``Partition.describe()``."""
        from sparkdms.plan import Partitioning

        return Partitioning("single")

    def unpushable(self, plan: TablePlan, filters: Sequence[Filter]) -> tuple[Filter, ...]:
        """The filters this engine cannot apply at the source; the core applies them in
        Spark after the read. Default: every filter is pushed."""
        return ()

    @abstractmethod
    def read(self, spark: SparkSession, plan: TablePlan, partitions: Sequence[Partition],
             pushed: Sequence[Filter]) -> ReadResult:
        """One Spark partition per ``partitions`` item, ``pushed`` applied at the source,
        the columns ``plan.source_names`` in their logical Spark types. A source that
        ``marks_partition_end`` also takes ``end_marker=True`` (the core passes it only to
        such a source): the frame then carries END_MARKER, each partition's marker row last."""

    def count_rows(self, schema: str, table: str) -> int:
        raise NotImplementedError(f"{self.engine} cannot count rows")

    # -- optional hooks (neutral defaults) ----------------------------------------------------
    def partition_counts(self, plan: TablePlan, partitions: Sequence[Partition],
                         pushed: Sequence[Filter]) -> list[int] | None:
        """The rows each partition reads now, ``pushed`` applied (no partitions: the one
        partition of every row), for ``--resume`` to check that a committed partition's
        source is unchanged; None: this engine cannot count them (the table reloads whole)."""
        return None

    def validation_sql(self) -> SqlValidation | None:
        """How this engine computes validation checksums in its own SQL (its canonical-text
        renderer, session, connection), or None: its rows are hashed in Spark."""
        return None

    def assessment(self) -> AssessmentHooks | None:
        """The engine's assessment hooks (both roles: one object), or None: it has none."""
        return None

    def change_stream(self, task: str, plans: Sequence[TablePlan],
                      settings: Settings) -> ChangeStream | None:
        """The source's change log for ``task`` (cdc / full-load-and-cdc), or None: this
        engine has no change data capture."""
        return None

    def text_stream(self, plan: TablePlan) -> TextStream | None:
        """The table's rows as the neutral text stream, one item per partition, the plan's
        filters applied; None: some column has no exact text form here (the table goes
        through Spark rows). Default: this engine has none."""
        return None

    def text_chunks(self, item: Any) -> Iterator[bytes]:
        """Executor side: the lines of one ``TextStream.parts`` item as bytes (a chunk holds
        whole lines or not: the target does not care). It raises when the read fails,
        never ends early, and releases its connection when closed."""
        raise NotImplementedError(f"{self.engine} has no text stream")


class Target(Endpointed, ABC):
    can_target: ClassVar[bool] = True
    capabilities: ClassVar[Capabilities] = Capabilities()
    # its write takes partitions through a Python worker: asks a source that can for
    # END_MARKER, commits a partition only when its marker row came last, and never stores it
    wants_end_marker: ClassVar[bool] = False
    # table-mapping rule types this target reads itself ("object-mapping", "post-processing");
    # each table's matching rules arrive as ``TablePlan.target_rules``; a rule of a type the
    # target does not list stops the plan
    mapping_rules: ClassVar[frozenset[str]] = frozenset()

    def target_ddl(self, plan: TablePlan) -> list[str]:
        """The DDL ``sparkdms plan`` shows for one table."""
        return []

    def prepare_task(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        """Once per task before any table loads (schemas, control tables)."""

    def pre_load(self, plans: Sequence[TablePlan], settings: Settings) -> PreLoad:
        """Once per task before tables load; what it learned goes to ``post_load``."""
        return PreLoad()

    def post_load(self, plans: Sequence[TablePlan], settings: Settings,
                  before: PreLoad) -> list[str]:
        """Once per task after the loads: secondary objects; returns notes."""
        return []

    def preflight(self, plans: Sequence[TablePlan], settings: Settings) -> None:
        """Before Spark starts (``sparkdms run``): raise EndpointError naming what the load
        needs and the target's user may not do (create tables in a schema, ...), so the task
        stops with one line; default: nothing checked."""

    @abstractmethod
    def prepare(self, plan: TablePlan, settings: Settings, load_id: str) -> list[str] | None:
        """Before a table's rows arrive: take the table (refusing a concurrent load of it),
        create the staging table; returns notes for the report (e.g. leftovers removed)."""

    @abstractmethod
    def write(self, df: DataFrame, plan: TablePlan, settings: Settings,
              load_id: str) -> WriteResult:
        """Write every partition; a retried attempt of a partition adds nothing."""

    @abstractmethod
    def commit(self, plan: TablePlan, settings: Settings, load_id: str,
               result: WriteResult | None = None) -> None:
        """Make the table's load visible at once (swap or merge staging), keeping exactly
        what ``result`` (the write's own result) says was written."""

    def abort(self, plan: TablePlan, settings: Settings, load_id: str) -> None:
        """Undo what prepare/write left (staging); never raises."""

    def can_direct_copy(self, source: Source, plan: TablePlan, settings: Settings) -> bool:
        """True when rows can go from ``source`` to this target without Spark rows."""
        return False

    def direct_copy(self, spark: SparkSession, source: Source, plan: TablePlan,
                    settings: Settings, load_id: str) -> WriteResult:
        raise NotImplementedError(f"{self.engine} has no direct copy")

    def direct_copy_blocker(self, source: Source, plan: TablePlan, settings: Settings) -> str:
        """Why ``can_direct_copy`` is False, naming the rule, setting or column, for
        ``sparkdms plan`` (empty when the target does not say)."""
        return ""

    def count_rows(self, schema: str, table: str) -> int:
        raise NotImplementedError(f"{self.engine} cannot count rows")

    # -- optional hooks (neutral defaults) ----------------------------------------------------
    def object_ddl(self, plans: Sequence[TablePlan], settings: Settings) -> list[tuple[str, str]]:
        """(stage, SQL) of what post_load would create (``sparkdms convert``)."""
        return []

    def planned_objects(self, plans: Sequence[TablePlan],
                        settings: Settings) -> list[PlannedObject]:
        """Everything post_load would create, or not (``sql`` empty, ``note`` why), in the
        order it would (``sparkdms convert`` and ``assess``)."""
        return []

    def ensure_schema_sql(self, schema: str) -> list[str]:
        """Statements creating a target schema if it is missing (``sparkdms convert``)."""
        return []

    def type_ddl(self, plans: Sequence[TablePlan]) -> list[str]:
        """The user types (enum, domain, composite) the tables keep, created before them
        (``prepare_task`` runs them; ``sparkdms convert`` prints them)."""
        return []

    def type_conflicts(self, plans: Sequence[TablePlan]) -> list[str]:
        """Types already on the target that differ from those the tables keep (the load
        would stop on them; ``sparkdms assess`` says so)."""
        return []

    def change_applier(self, settings: Settings) -> ChangeApplier | None:
        """How this target applies change data capture (cdc / full-load-and-cdc), or None:
        it cannot, and such a task stops before it starts."""
        return None

    def reject_store(self, settings: Settings) -> RejectStore | None:
        """Where rows this target refused are kept (AWS DMS's ``awsdms_apply_exceptions``),
        or None: only the reject file has them."""
        return None

    def resume_store(self) -> ResumeStore | None:
        """How this target continues an unfinished load (``run --resume``), or None: it
        cannot, and ``--resume`` reloads its tables whole."""
        return None

    # stores '' as NULL (Oracle): validation then compares a source '' as NULL
    empty_string_is_null: ClassVar[bool] = False

    def validation_sql(self) -> SqlValidation | None:
        """See ``Source.validation_sql`` (used when ``capabilities.validates_in_sql``)."""
        return None

    def failure_store(self, settings: Settings) -> FailureStore | None:
        """Where validation failures of this target go, or None: a JSON-lines file."""
        return None

    def expectations_sql(self) -> ExpectationsSql | None:
        """The target database as great-expectations can query it through SQLAlchemy, or
        None: the suite runs on a Spark DataFrame of the target."""
        return None

    def assessment(self) -> AssessmentHooks | None:
        """See ``Source.assessment`` (the target side: values it cannot store, ...)."""
        return None


class Connector(Source, Target, ABC):
    """An engine that is both a source and a target (most are)."""


def setting_names(specs: Sequence[EngineSpec]) -> dict[str, Setting]:
    """The settings the given engines register, merged."""
    out: dict[str, Setting] = {}
    for spec in specs:
        out.update(spec.settings)
    return out
