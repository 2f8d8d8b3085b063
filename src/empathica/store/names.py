"""People, teams and touchpoints by the names people use, from the canonical tables (ids as the fallback)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Names:
    """People, teams and touchpoints by name, from the canonical tables."""

    teams: dict[str, str]
    employees: dict[str, str]
    touchpoints: dict[str, str]
    owners: dict[str, str]  # touchpoint → owner team

    @classmethod
    def from_store(cls, store) -> "Names":
        def mapping(table: str, key: str, value: str) -> dict[str, str]:
            if not store.count(table):
                return {}
            frame = store.table(table).select(key, value).to_pandas().dropna()
            return dict(zip(frame[key].astype(str), frame[value].astype(str)))

        return cls(teams=mapping("teams", "team_id", "name"), employees=mapping("employees", "employee_id", "name"),
                   touchpoints=mapping("touchpoints", "touchpoint_id", "name"),
                   owners=mapping("touchpoints", "touchpoint_id", "owner_team_id"))

    def team(self, team_id) -> str:
        return self.teams.get(str(team_id), str(team_id))

    def person(self, employee_id) -> str:
        return self.employees.get(str(employee_id), str(employee_id))

    def touchpoint(self, touchpoint_id) -> str:
        return self.touchpoints.get(str(touchpoint_id), str(touchpoint_id).replace("_", " "))


def display_name(kind: str, key: Any) -> dict:
    """A thing of ``kind`` (``aspect``, ``area``, ``metric``, ``attribute``, ``segment`` …) as a value of a finding: the
    report renders the catalogue's ``<kind>.<key>`` in the reader's language where it has one, else ``name`` (the key
    made readable: a client's own aspect or segment)."""
    return {"id": f"{kind}.{key}", "name": str(key).replace("_", " ")}


def name_list(names: list[Any]) -> Any:
    """Several names (texts or ``display_name`` values) as one value of a finding: "a, b and c" in the reader's language."""
    names = list(names)
    if len(names) == 1:
        return names[0]
    values = {f"a{i}": n for i, n in enumerate(names[:3], 1)}
    if len(names) > 3:
        return {"id": "names.more", "values": {**values, "more": len(names) - 3}}
    return {"id": f"names.{len(names)}", "values": values}
