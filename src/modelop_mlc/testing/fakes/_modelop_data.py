"""Records, filters and HAL shapes for `FakeModelOpCenter` (standard library only)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

API = "/model-manage/api"
TOKEN_PATH = "/gocli/token"  # noqa: S105 - a URL path, not a password
FILES = "/files"

JOB_TYPES = ("MODEL_BATCH_JOB", "MODEL_BATCH_TEST_JOB", "MODEL_BATCH_TRAINING_JOB")
JOB_STATUSES = ("CREATED", "WAITING", "RUNNING", "COMPLETE", "ERROR", "CANCELLED")
FINISHED = ("COMPLETE", "ERROR", "CANCELLED")

Doc = dict[str, Any]
Filter = Callable[[Doc, str], bool]


def timestamp(moment: datetime) -> str:
    """Render a time the way ModelOp's Java services do: UTC, milliseconds, `Z`."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, Mapping):
            return None
        doc = doc.get(key)
    return doc


def _tags(*values: Any) -> set[str]:
    return {str(tag) for value in values if isinstance(value, list) for tag in value}


def _snapshot_tags(snapshot: Any) -> set[str]:
    return _tags(
        _get(snapshot, "tags"),
        _get(snapshot, "metaData", "tags"),
        _get(snapshot, "storedModel", "modelMetaData", "tags"),
    )


def _deployment_runtime(doc: Any) -> Any:
    """A deployment's runtime: ModelOp's `engine`, or `runtime`."""
    return _get(doc, "engine") or _get(doc, "runtime")


def _equals(*path: str) -> Filter:
    return lambda doc, value: str(_get(doc, *path)) == value


@dataclass(frozen=True)
class Resource:
    """A collection of the model-manage API: its path, HAL relation and query filters."""

    name: str
    rel: str
    label: str
    filters: Mapping[str, Filter]


RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        Resource(
            "storedModels",
            "storedModels",
            "storedModel",
            {"name": _equals("modelMetaData", "name")},
        ),
        Resource(
            "deployableModels",
            "deployableModels",
            "deployableModel",
            {
                "tag": lambda doc, value: value in _snapshot_tags(doc),
                "storedModelId": _equals("storedModel", "id"),
            },
        ),
        Resource(
            "runtimes",
            "runtimes",
            "runtime",
            {
                "name": _equals("name"),
                "tag": lambda doc, value: value in _tags(doc.get("tags")),
            },
        ),
        # Spring Data REST groups a polymorphic `jobs` collection by concrete type, so the
        # batch jobs come back under `modelBatchJobs`.
        Resource(
            "jobs",
            "modelBatchJobs",
            "job",
            {
                "deployableModelId": lambda doc, value: (
                    value
                    in {str(_get(doc, "model", "id")), str(_get(doc, "deployableModel", "id"))}
                ),
                "jobStatus": _equals("jobStatus"),
                "jobType": _equals("jobType"),
            },
        ),
        Resource(
            "deployedModels",
            "deployedModels",
            "deployedModel",
            {
                "tag": lambda doc, value: (
                    value
                    in (
                        _snapshot_tags(doc.get("deployableModel"))
                        | _tags(_get(_deployment_runtime(doc), "tags"))
                    )
                ),
                "stage": lambda doc, value: str(_get(_deployment_runtime(doc), "stage")) == value,
                "deployedState": _equals("deployedState"),
                "storedModelId": _equals("deployableModel", "storedModel", "id"),
                "deployableModelId": _equals("deployableModel", "id"),
            },
        ),
        Resource(
            "modelTestResults",
            "modelTestResults",
            "modelTestResult",
            {
                "deployableModelId": lambda doc, value: (
                    value
                    in {
                        str(doc.get("deployableModelId")),
                        str(_get(doc, "deployedModel", "deployableModel", "id")),
                    }
                ),
                "jobId": _equals("jobId"),
            },
        ),
        Resource(
            "notifications",
            "notifications",
            "notification",
            {
                "modelId": _equals("modelId"),
                "processInstanceId": _equals("processInstanceId"),
                "type": _equals("type"),
                "severity": _equals("severity"),
            },
        ),
        Resource(
            "auditRecords",
            "auditRecords",
            "auditRecord",
            {"storedModelId": _equals("storedModelId")},
        ),
    )
}
SEARCHES = {"auditRecords": {"findAuditRecordsByStoredModelId": ("storedModelId",)}}
"""Spring Data REST search endpoints: `{collection}/search/{name}` and their parameters."""


def audit_changes(before: Doc, after: Doc) -> list[Doc]:
    """The top-level fields that differ, as ModelOp's audit `changes` (path, old, new)."""
    return [
        {"path": f"/{key}", "oldValue": before.get(key), "newValue": after.get(key)}
        for key in sorted({*before, *after} - {"lastModifiedDate"})
        if before.get(key) != after.get(key)
    ]


def error_body(status: int, reason: str, message: str, path: str, now: datetime) -> Doc:
    """Spring Boot's default error body, which ModelOp's Java services answer with."""
    return {
        "timestamp": timestamp(now),
        "status": status,
        "error": reason,
        "message": message,
        "path": path,
    }


def with_links(doc: Doc, href: str) -> Doc:
    """A copy of `doc` with a HAL `self` link, as Spring Data REST renders items."""
    return {**copy.deepcopy(doc), "_links": {"self": {"href": href}}}


def sort_key(field: str) -> Callable[[tuple[int, Doc]], tuple[int, str, int]]:
    """Order (sequence, doc) pairs by `field`; missing values first, insertion order on ties."""

    def key(item: tuple[int, Doc]) -> tuple[int, str, int]:
        seq, doc = item
        value = doc.get(field)
        return (0, "", seq) if value is None else (1, str(value), seq)

    return key


def page_body(
    rel: str, items: Iterable[Doc], *, base: str, number: int, size: int, total: int
) -> Doc:
    """A HAL collection page: `_embedded`, `_links` and Spring's `page` block."""
    pages = (total + size - 1) // size if size else 0
    links: Doc = {"self": {"href": f"{base}?page={number}&size={size}"}}
    if number + 1 < pages:
        links["next"] = {"href": f"{base}?page={number + 1}&size={size}"}
    return {
        "_embedded": {rel: list(items)},
        "_links": links,
        "page": {"size": size, "totalElements": total, "totalPages": pages, "number": number},
    }


def asset(raw: Mapping[str, Any], new_id: str) -> Doc:
    """An asset as ModelOp stores it: an id, and the size of embedded content."""
    doc = dict(raw)
    doc.setdefault("id", new_id)
    doc.setdefault("assetType", "EXTERNAL_FILE" if doc.get("fileUrl") else "ASSET_FILE")
    doc.setdefault("assetRole", "UNKNOWN")
    content = doc.get("fileContent")
    if isinstance(content, str) and "fileSize" not in doc:
        doc["fileSize"] = len(content.encode())
    return doc
