"""ModelOp-shaped JSON goes through LocalCenter, RestCenter and FakeModelOpCenter unchanged.

Each corpus file (tests/modelop_corpus) is put into a center as ModelOp would hold it, read
back through the center's port and written back with the center's update call: the JSON
must come out as it went in. RestCenter talks to FakeModelOpCenter over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from center.rest_support import START, Sleeper, calls, rest_center
from corpus_support import load, names, without_links
from modelop_mlc import LifecycleManager, ManualClock
from modelop_mlc.center import LocalCenter
from modelop_mlc.center.rest import RestCenter
from modelop_mlc.domain import Asset, DeployableModel, ModelBatchJob
from modelop_mlc.testing.fakes.modelop import FakeModelOpCenter

Center = LocalCenter | RestCenter


@dataclass(frozen=True)
class Kind:
    """How one kind of corpus record lives in each center."""

    local: str
    collection: str
    read: Callable[[Any, dict[str, Any]], Any]
    update: Callable[[Any, Any], Any] | None = None
    key: str = "id"


KINDS: dict[str, Kind] = {
    "stored_model_": Kind(
        "storedModel",
        "storedModels",
        lambda c, d: c.get_stored_model(d["id"]),
        lambda c, r: c.update_stored_model(r),
    ),
    "snapshot_": Kind(
        "deployableModel",
        "deployableModels",
        lambda c, d: c.get_deployable_model(d["id"]),
        lambda c, r: c.update_deployable_model(r),
    ),
    "job_": Kind("job", "jobs", lambda c, d: c.get_job(d["id"]), lambda c, r: c.update_job(r)),
    "runtime_": Kind(
        "runtime",
        "runtimes",
        lambda c, d: c.get_runtime(d["name"]),
        lambda c, r: c.update_runtime(r),
        key="name",
    ),
    "deployed_model_": Kind(
        "deployedModel", "deployedModels", lambda c, d: c.get_deployed_model(d["id"])
    ),
    "test_result_": Kind(
        "testResult",
        "modelTestResults",
        lambda c, d: c.get_test_result(d["id"]),
        lambda c, r: c.update_test_result(r),
    ),
    "notification_": Kind(
        "notification", "notifications", lambda c, d: c.get_notification(d["id"])
    ),
    "audit_record_": Kind(
        "auditRecord",
        "auditRecords",
        lambda c, d: c.find_audit_records(d["storedModelId"])[0],
    ),
}
STORED = [n for n in names() if any(n.startswith(p) for p in KINDS) and "id" in load(n)]


def kind_of(name: str) -> Kind:
    """The Kind of corpus file `name`."""
    return next(kind for prefix, kind in KINDS.items() if name.startswith(prefix))


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(name="fake")
def _fake(clock: ManualClock) -> Iterator[FakeModelOpCenter]:
    with FakeModelOpCenter(clock=clock.now) as fake:
        yield fake


@pytest.fixture(name="rest")
def _rest(fake: FakeModelOpCenter, clock: ManualClock) -> Iterator[RestCenter]:
    with rest_center(fake, clock, Sleeper(clock)) as center:
        yield center


@pytest.fixture(name="manager")
def _manager(tmp_path: Path, clock: ManualClock) -> Iterator[LifecycleManager]:
    manager = LifecycleManager.open(tmp_path / "mlc.db", clock=clock)
    yield manager
    manager.close()


@pytest.fixture(name="local")
def _local(manager: LifecycleManager) -> LocalCenter:
    assert isinstance(manager.center, LocalCenter)
    return manager.center


def put_local(center: LocalCenter, name: str, doc: dict[str, Any]) -> None:
    """Store a document in LocalCenter's database as the center keeps it."""
    kind = kind_of(name)
    with center.store.transaction() as tx:
        tx.put_document(kind.local, doc[kind.key], doc, START.isoformat())


def stored_local(center: LocalCenter, name: str, doc: dict[str, Any]) -> Any:
    """The document LocalCenter holds for corpus file `name`."""
    kind = kind_of(name)
    return center.store.get_document(kind.local, doc[kind.key])


CONTENT = ("fileContent", "fileContentString", "sourceCode")


def kept_aside(doc: Any, local: LocalCenter) -> Any:
    """`doc` with every asset LocalCenter keeps the content of read back through it."""
    if isinstance(doc, list):
        return [kept_aside(d, local) for d in doc]
    if not isinstance(doc, dict):
        return doc
    if "contentHash" in doc and Asset.from_variable(doc).is_reference:
        text = local.read_asset(Asset.from_variable(doc))
        return {k: v for k, v in doc.items() if k != "contentHash"} | {"text": text}
    return {k: kept_aside(v, local) for k, v in doc.items()}


def with_text(doc: Any) -> Any:
    """`doc` with each asset's content fields as the one `text` `Asset.text` reads."""
    if isinstance(doc, list):
        return [with_text(d) for d in doc]
    if not isinstance(doc, dict):
        return doc
    if any(k in doc for k in CONTENT) and ("assetType" in doc or "assetRole" in doc):
        text = Asset.from_variable(doc).text
        return {k: v for k, v in doc.items() if k not in CONTENT} | {"text": text}
    return {k: with_text(v) for k, v in doc.items()}


@pytest.mark.parametrize("name", STORED)
def test_local_center_gives_modelop_json_back(local: LocalCenter, name: str) -> None:
    """Held by LocalCenter, read through the port: the same JSON; updated: the same but files.

    An update keeps data files and large sources aside (the record carries `contentHash`);
    read back through the center, every file is what the JSON had.
    """
    doc = without_links(load(name))
    put_local(local, name, doc)
    kind = kind_of(name)
    record = kind.read(local, doc)
    assert record.to_variable() == doc
    if kind.update is not None:
        updated = kind.update(local, record).to_variable()
        assert kept_aside(with_text(updated), local) == kept_aside(with_text(doc), local)
        assert stored_local(local, name, doc) == updated


@pytest.mark.parametrize("name", STORED)
def test_rest_center_gives_modelop_json_back(
    rest: RestCenter, fake: FakeModelOpCenter, name: str
) -> None:
    """Held by the fake center, read over HTTP: the same JSON; PUT back: the fake holds it."""
    raw = load(name)
    kind = kind_of(name)
    fake.add_document(kind.collection, raw)
    doc = without_links(raw)
    record = kind.read(rest, doc)
    assert record.to_variable() == doc
    if kind.update is not None:
        fake.clear_requests()
        assert kind.update(rest, record).to_variable() == doc
        (put,) = [r for r in fake.requests if r.method == "PUT"]
        assert put.json == doc
        held = next(d for d in fake.documents(kind.collection) if d["id"] == doc["id"])
        assert held == doc


def test_local_center_patches_a_stored_model_and_audits_it(local: LocalCenter) -> None:
    """A patch changes one field, keeps every other (unknown ones too), and is audited."""
    doc = load("stored_model_with_all_asset_roles")
    put_local(local, "stored_model_x", doc)
    patched = local.patch_stored_model(doc["id"], {"useCaseIds": ["uc-2"]})
    assert patched.to_variable() == {**doc, "useCaseIds": ["uc-2"]}
    (audit,) = local.find_audit_records(doc["id"])
    assert audit.changes == [
        {"path": "/useCaseIds", "oldValue": ["uc-loans-retail"], "newValue": ["uc-2"]}
    ]


def test_rest_center_patches_a_stored_model_and_the_fake_audits_it(
    rest: RestCenter, fake: FakeModelOpCenter
) -> None:
    """PATCH storedModels/{id} keeps unknown fields; the change becomes an audit record."""
    doc = load("stored_model_with_all_asset_roles")
    fake.add_document("storedModels", doc)
    patched = rest.patch_stored_model(doc["id"], {"useCaseIds": ["uc-2"]})
    assert patched.to_variable() == {**doc, "useCaseIds": ["uc-2"]}
    (audit,) = rest.find_audit_records(doc["id"])
    assert audit.changes == [
        {"path": "/useCaseIds", "oldValue": ["uc-loans-retail"], "newValue": ["uc-2"]}
    ]
    assert calls(fake, "GET", "/auditRecords/search/findAuditRecordsByStoredModelId")


def test_snapshot_tags_in_metadata_find_the_snapshot_on_both_centers(
    local: LocalCenter, rest: RestCenter, fake: FakeModelOpCenter
) -> None:
    """ModelOp keeps a snapshot's tags in `metaData.tags`; a search by tag finds it."""
    doc = load("snapshot_with_drift_association")
    put_local(local, "snapshot_x", doc)
    fake.add_document("deployableModels", doc)
    for center in (local, rest):
        found = center.find_deployable_models(tag="PROD")
        assert [s.id for s in found] == [doc["id"]]
        assert found[0].to_variable() == without_links(doc)


def test_a_modelop_test_result_is_found_through_its_deployed_model(
    local: LocalCenter, rest: RestCenter, fake: FakeModelOpCenter
) -> None:
    """A result linked by `deployedModel.deployableModel.id` is listed with its snapshot."""
    doc = load("test_result_drift_monitor")
    snapshot_id = doc["deployedModel"]["deployableModel"]["id"]
    put_local(local, "test_result_x", doc)
    fake.add_document("modelTestResults", doc)
    for center in (local, rest):
        (found,) = center.find_test_results(snapshot_id)
        assert found.to_variable() == doc


def test_a_modelop_deployment_is_found_by_its_engine_tags(
    local: LocalCenter, rest: RestCenter, fake: FakeModelOpCenter
) -> None:
    """A deployment whose runtime is ModelOp's `engine` matches the engine's tags."""
    doc = load("deployed_model_modelop_engine")
    put_local(local, "deployed_model_x", doc)
    fake.add_document("deployedModels", doc)
    for center in (local, rest):
        (found,) = center.find_deployed_models(tag="loan-default", state="DEPLOYED")
        assert (found.id, found.target.name) == (doc["id"], "engine-prod-1")
        assert found.to_variable() == doc


def test_rest_center_posts_a_job_in_modelops_shape_from_modelop_records(
    rest: RestCenter, fake: FakeModelOpCenter
) -> None:
    """A job built from ModelOp's job JSON is posted with its `model` and assets unchanged."""
    job = ModelBatchJob.from_variable(load("job_drift_test_to_create"))
    snapshot = fake.add_document("deployableModels", job.snapshot.to_variable())
    model = DeployableModel.from_variable(snapshot)
    fake.add_runtime("spark-runtime-east")
    created = rest.create_batch_job(
        model,
        job.job_type,
        inputs=job.input_data,
        outputs=job.output_data,
        runtime=job.engine_name,
    )
    (post,) = calls(fake, "POST", "/jobs")
    assert post.json is not None
    assert post.json["model"] == snapshot
    assert post.json["inputData"] == load("job_drift_test_to_create")["inputData"]
    assert created.snapshot.to_variable() == snapshot
    assert rest.get_job(created.id).to_variable() == created.to_variable()


def test_records_read_from_either_center_are_equal(
    local: LocalCenter, rest: RestCenter, fake: FakeModelOpCenter
) -> None:
    """The same ModelOp JSON read through LocalCenter and through RestCenter: equal records."""
    for name, collection in (
        ("stored_model_with_all_asset_roles", "storedModels"),
        ("runtime_modelop_engine", "runtimes"),
        ("job_monitor_completed", "jobs"),
    ):
        doc = load(name)
        put_local(local, name, without_links(doc))
        fake.add_document(collection, doc)
        kind = kind_of(name)
        assert kind.read(local, doc) == kind.read(rest, doc)
