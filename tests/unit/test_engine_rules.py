"""Rules the target engine reads itself (object-mapping, post-processing): the core checks
their shape and locator, hands each table its matching rules as data, and stops the plan
when the target does not read that rule type."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from sparkdms.connectors.mysql.connector import MariaDBConnector

from sparkdms.errors import MappingRuleError
from tests.unit.test_mapping_support import MY_DST, plan, sel, table_plan


def om(schema: str, name: str, rid: str = "9") -> dict[str, Any]:
    return {"rule-type": "object-mapping", "rule-id": rid, "rule-name": f"om{rid}",
            "rule-action": "map-record-to-record",
            "object-locator": {"schema-name": schema, "table-name": name},
            "target-table-name": "items"}


class ObjectMappingTarget(MariaDBConnector):
    mapping_rules: ClassVar[frozenset[str]] = frozenset({"object-mapping"})


def test_a_target_that_does_not_read_object_mapping_stops_the_plan_naming_the_rule() -> None:
    with pytest.raises(MappingRuleError) as err:
        plan([sel(), om("Test", "ITEM")])
    assert "om9" in str(err.value) and "not read by a mariadb target" in str(err.value)


def test_a_target_that_reads_them_gets_each_tables_matching_rules() -> None:
    target = ObjectMappingTarget(MY_DST.endpoint)
    p = plan([sel(), om("Test", "ITEM"), om("HR", "%", rid="10")], target=target)
    assert table_plan(p, "ITEM").target_rules == (om("Test", "ITEM"),)
    assert table_plan(p, "SALES").target_rules == (om("HR", "%", rid="10"),)
    assert table_plan(p, "Actor").target_rules == ()
