"""Which process definitions a model's signal starts (DESIGN.md §3, "applicability")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CRITERIA", "applies", "criteria_from_properties", "model_facts"]

# criterion -> where to find it in a StoredModel's modelMetaData (first match wins)
CRITERIA: dict[str, tuple[str, ...]] = {
    "type": ("type",),
    "group": ("group", "businessUnit"),
    "framework": ("modelFramework", "framework"),
    "tags": ("tags",),
    "name": ("name",),
    "stage": ("modelStage", "stage"),
    "methodology": ("modelMethodology", "methodology"),
}
_PREFIX = "mlc.appliesTo."


def criteria_from_properties(properties: Mapping[str, str]) -> dict[str, list[str]] | None:
    """Read `mlc.appliesTo.<criterion>` process properties (comma-separated values)."""
    found: dict[str, list[str]] = {}
    for name, value in properties.items():
        if name.startswith(_PREFIX) and value:
            found[name[len(_PREFIX) :]] = [v.strip() for v in value.split(",") if v.strip()]
    return found or None


def model_facts(variables: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """Find the model a signal is about and describe it per criterion, or None."""
    meta: Any = None
    deployable = variables.get("DEPLOYABLE_MODEL")
    if isinstance(deployable, Mapping):
        stored = deployable.get("storedModel")
        if isinstance(stored, Mapping):
            meta = stored.get("modelMetaData")
    stored = variables.get("STORED_MODEL")
    if meta is None and isinstance(stored, Mapping):
        meta = stored.get("modelMetaData")
    if not isinstance(meta, Mapping):
        return None
    facts: dict[str, list[str]] = {}
    for criterion, fields in CRITERIA.items():
        for field_name in fields:
            value = meta.get(field_name)
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            facts[criterion] = [str(v) for v in values]
            break
    if isinstance(deployable, Mapping) and isinstance(deployable.get("tags"), list):
        facts.setdefault("tags", [])
        facts["tags"] = [*facts["tags"], *(str(t) for t in deployable["tags"])]
    return facts


def applies(criteria: Mapping[str, Any] | None, variables: Mapping[str, Any]) -> bool:
    """Tell whether a definition with `criteria` applies to the model in `variables`.

    No criteria means every model (and signals without a model). With criteria, the signal
    must carry a model, and every criterion must share a value with it (case-insensitive).
    """
    if not criteria:
        return True
    facts = model_facts(variables)
    if facts is None:
        return False
    for criterion, allowed in criteria.items():
        wanted = {str(v).lower() for v in (allowed if isinstance(allowed, list) else [allowed])}
        have = {v.lower() for v in facts.get(criterion, [])}
        if not wanted & have:
            return False
    return True
