"""The ModelOp-shaped JSON corpus in tests/modelop_corpus, and the record that reads each file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelop_mlc._records import Record
from modelop_mlc.domain import (
    Asset,
    AuditRecord,
    DeployableModel,
    DeployedModel,
    ModelBatchJob,
    ModelTestResult,
    Notification,
    Runtime,
    StoredModel,
)

CORPUS = Path(__file__).resolve().parent / "modelop_corpus"
PREFIXES: dict[str, type[Record]] = {
    "asset_": Asset,
    "audit_record_": AuditRecord,
    "deployed_model_": DeployedModel,
    "job_": ModelBatchJob,
    "notification_": Notification,
    "runtime_": Runtime,
    "snapshot_": DeployableModel,
    "stored_model_": StoredModel,
    "test_result_": ModelTestResult,
}


def names(prefix: str = "") -> list[str]:
    """The corpus files (names without `.json`) starting with `prefix`."""
    return sorted(p.stem for p in CORPUS.glob(f"{prefix}*.json"))


def load(name: str) -> dict[str, Any]:
    """One corpus file's JSON."""
    data: dict[str, Any] = json.loads((CORPUS / f"{name}.json").read_text())
    return data


def record_class(name: str) -> type[Record]:
    """The record that reads corpus file `name`."""
    for prefix, cls in PREFIXES.items():
        if name.startswith(prefix):
            return cls
    raise KeyError(f"no record for corpus file {name}; name it with one of {list(PREFIXES)}")


def without_links(value: Any) -> Any:
    """`value` without HAL `_links`, at every depth (what RestCenter keeps)."""
    if isinstance(value, dict):
        return {k: without_links(v) for k, v in value.items() if k != "_links"}
    if isinstance(value, list):
        return [without_links(v) for v in value]
    return value
