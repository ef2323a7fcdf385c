"""The discovery side of a relational engine: native types to logical ones, the catalog
read into tables, and the catalog hooks the objects stages use
(``sparkdms.connectors.sql.objects``)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import ClassVar

from sparkdms.connectors.base import Sampler, TableFilter
from sparkdms.connectors.sql.session import SqlSession
from sparkdms.connectors.sql.spec import is_internal_table

from sparkdms.catalog import Catalog, Check, Column, Index, NativeIndex, Table
from sparkdms.errors import EndpointError
from sparkdms.plan.typemap.rules import NativeRule
from sparkdms.types import LType, NativeType, parse_native


class SqlDiscovery(SqlSession):
    """Types and discovery."""

    system_schemas: ClassVar[tuple[str, ...]] = ()
    # the catalog prints string column defaults unquoted (MySQL 8: 'PG-13' as PG-13)
    bare_string_defaults: ClassVar[bool] = False

    # -- types -----------------------------------------------------------------------------
    def to_logical(self, native: str, table: str = "?", column: str = "?") -> LType:
        parsed = parse_native(native)
        rule = self.dialect.native.get(parsed.name) or self.fallback_rule(parsed)
        if rule is None:  # the planner refuses it unless overridden (or same family)
            return LType("unknown", native=native)
        ltype = rule(parsed)
        if parsed.array_dims:
            return LType("array", element=ltype)
        return ltype

    def fallback_rule(self, parsed: NativeType) -> NativeRule | None:
        return self.dialect.fallback(parsed)

    # -- discovery -------------------------------------------------------------------------
    def discover(self, wanted: TableFilter, sampler: Sampler | None = None) -> Catalog:
        def wanted_here(schema: str, name: str, kind: str) -> bool:
            return not is_internal_table(name) and wanted(schema, name, kind)

        try:
            tables = self.discover_tables(wanted_here)
        except EndpointError:
            raise
        except Exception as err:
            raise EndpointError(self.endpoint.role, self.engine,
                                f"discovery failed: {self._explain(err)}") from None
        return Catalog(self.engine, tuple(tables))

    @abstractmethod
    def discover_tables(self, wanted: TableFilter) -> list[Table]: ...

    def build_tables(self, columns: list[tuple], keys: Mapping[tuple[str, str], list],
                     fks: Mapping[tuple[str, str], list], meta: Mapping[tuple[str, str], tuple],
                     ) -> list[Table]:
        """columns rows: (schema, table, name, native, nullable, default, ordinal, identity)."""
        by_table: dict[tuple[str, str], list[Column]] = {}
        for schema, table, name, native, nullable, default, ordinal, identity in columns:
            ltype = self.to_logical(native, f"{schema}.{table}", name)
            by_table.setdefault((schema, table), []).append(
                Column(name, native, ltype, bool(nullable), default, int(ordinal), bool(identity)))
        out = []
        for key, cols in by_table.items():
            kind, rows = meta.get(key, ("table", 0))
            pk: tuple[str, ...] = ()
            indexes: list[Index] = []
            for idx_name, is_pk, unique, idx_cols in keys.get(key, []):
                if is_pk:
                    pk = tuple(idx_cols)
                else:
                    indexes.append(Index(idx_name, tuple(idx_cols), bool(unique)))
            out.append(Table(key[0], key[1], tuple(sorted(cols, key=lambda c: c.ordinal)), pk,
                             tuple(indexes), tuple(fks.get(key, [])), max(int(rows or 0), 0), kind))
        return out

    # -- catalog hooks of the objects stages (sparkdms.connectors.sql.objects) -------------------
    def source_checks(self) -> Mapping[tuple[str, str], list[Check]]:
        """CHECK constraints by (schema, table), conditions in the engine's SQL."""
        return {}

    def special_indexes(self) -> Mapping[tuple[str, str, str], str]:
        """(schema, table, index) -> why, of indexes a B-tree cannot stand for (MySQL
        FULLTEXT / SPATIAL, PostgreSQL GIN / GiST / hash ...): left out of the loaded
        indexes; the assessment and the run's console say they are not created."""
        return {}

    def native_indexes(self) -> Mapping[tuple[str, str], list[NativeIndex]]:
        """Indexes by (schema, table) that a column list cannot say (another method,
        expressions, a predicate), by parts: rebuilt on a target of the same family."""
        return {}

    def generated_columns(self) -> set[tuple[str, str, str]]:
        """(schema, table, column) of generated columns, whose expression discovery reads as
        a default (PostgreSQL): their values are loaded as plain data, without a default."""
        return set()
