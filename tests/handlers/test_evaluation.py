"""ModelTestResultEval finds the comparator DMN where ModelOp keeps it; without one, not judged."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from center.rest_support import run_delegate
from handlers.catalogue_world import EXAMPLE, METRICS, World
from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock
from modelop_mlc.kpis import compute_kpis
from modelop_mlc.tickets.local import LocalTickets

DRIFTED = {**METRICS, "min_ks_p_value": 0.001}
COMPARATOR = (EXAMPLE / "comparator.dmn").read_text()


def _snapshot(world: World, *, where: str, asset: dict[str, Any] | None) -> dict[str, Any]:
    """The snapshot JSON with the comparator only `where` ModelOp may keep it (or nowhere)."""
    snapshot = copy.deepcopy(world.snapshot)
    stored = snapshot["storedModel"]
    for holder in (snapshot, stored):
        key = "deployableModelAssets" if holder is snapshot else "modelAssets"
        holder[key] = [
            a
            for a in holder.get(key, [])
            if a.get("assetRole") != "TEST_RESULT_COMPARATOR"
            and not str(a.get("filename", "")).endswith(".dmn")
        ]
    if asset is not None:
        target = snapshot["deployableModelAssets"] if where == "snapshot" else stored["modelAssets"]
        target.append(asset)
    return snapshot


def _judge(world: World, snapshot: dict[str, Any], **extra: Any) -> dict[str, Any]:
    result = world.center.create_test_result(world.snapshot["id"], DRIFTED).to_variable()
    return run_delegate(
        world.manager,
        "ModelTestResultEval",
        {"MODEL_TEST_RESULT": result, "DEPLOYABLE_MODEL": snapshot, **extra},
    )


def test_a_comparator_on_the_stored_models_assets_judges_the_results(world: World) -> None:
    """TEST_RESULT_COMPARATOR on `storedModel.modelAssets` (not the snapshot's) fails drift."""
    asset = {
        "filename": "drift.dmn",
        "assetRole": "TEST_RESULT_COMPARATOR",
        "fileContent": COMPARATOR,
    }
    out = _judge(world, _snapshot(world, where="stored", asset=asset))
    assert (out["TEST_RESULT"], out["TEST_RESULT_JUDGED"]) == (False, True)
    assert "Data drift detected" in out["TEST_RESULT_MESSAGE"]


def test_a_dmn_role_on_the_snapshot_judges_the_results(world: World) -> None:
    """The older role DMN, on the snapshot's own assets, is found too."""
    asset = {"filename": "c.xml", "assetRole": "DMN", "fileContent": COMPARATOR}
    out = _judge(world, _snapshot(world, where="snapshot", asset=asset))
    assert (out["TEST_RESULT"], out["TEST_RESULT_JUDGED"]) == (False, True)


def test_a_dmn_file_name_is_enough_whatever_its_role(world: World) -> None:
    """An asset named `*.dmn` with a role we do not know is taken as the comparator."""
    asset = {
        "filename": "thresholds.DMN",
        "assetRole": "MONITOR_THRESHOLDS",
        "fileContent": COMPARATOR,
    }
    out = _judge(world, _snapshot(world, where="stored", asset=asset))
    assert out["TEST_RESULT_JUDGED"] is True


def test_a_source_code_comparator_is_read_from_source_code(world: World) -> None:
    """ModelOp keeps git-imported comparators as SOURCE_CODE with the text in `sourceCode`."""
    asset = {
        "assetId": "a-1",
        "name": "limits.dmn",
        "assetType": "SOURCE_CODE",
        "assetRole": "TEST_RESULT_COMPARATOR",
        "sourceCode": COMPARATOR,
        "sourceCodeFilePath": "limits.dmn",
    }
    out = _judge(world, _snapshot(world, where="stored", asset=asset))
    assert (out["TEST_RESULT"], out["TEST_RESULT_JUDGED"]) == (False, True)


def test_a_dmn_input_judges_a_model_without_a_comparator(world: World) -> None:
    """The `DMN` input (the table's XML) is used when the model carries none."""
    out = _judge(world, _snapshot(world, where="stored", asset=None), DMN=COMPARATOR)
    assert (out["TEST_RESULT"], out["TEST_RESULT_JUDGED"]) == (False, True)


def test_a_deployed_decision_named_by_decision_ref_judges(world: World) -> None:
    """`DECISION_REF` names a decision deployed with the diagrams."""
    world.manager.deploy(EXAMPLE / "comparator.dmn")
    out = _judge(
        world,
        _snapshot(world, where="stored", asset=None),
        DECISION_REF="model_test_comparator",
    )
    assert (out["TEST_RESULT"], out["TEST_RESULT_JUDGED"]) == (False, True)


def test_without_deployable_model_the_results_snapshot_is_read(world: World) -> None:
    """No DEPLOYABLE_MODEL: the stored result's snapshot is read from the center."""
    result = world.center.create_test_result(world.snapshot["id"], DRIFTED).to_variable()
    out = run_delegate(world.manager, "ModelTestResultEval", {"MODEL_TEST_RESULT": result})
    assert (out["TEST_RESULT"], out["TEST_RESULT_JUDGED"]) == (False, True)
    assert world.center.get_test_result(result["id"]).test_result_passed is False


def test_a_model_without_a_comparator_is_not_judged_and_not_passed(world: World) -> None:
    """TEST_RESULT false, TEST_RESULT_JUDGED false, the message says why; the result too."""
    result = world.center.create_test_result(world.snapshot["id"], METRICS).to_variable()
    out = run_delegate(
        world.manager,
        "ModelTestResultEval",
        {
            "MODEL_TEST_RESULT": result,
            "DEPLOYABLE_MODEL": _snapshot(world, where="stored", asset=None),
        },
    )
    assert (out["TEST_RESULT"], out["TEST_RESULT_JUDGED"]) == (False, False)
    assert out["TEST_RESULT_MESSAGE"].startswith("Not judged: the model has no comparator DMN")
    held = world.center.get_test_result(result["id"])
    assert held.test_result_passed is None
    assert held.test_result_message == out["TEST_RESULT_MESSAGE"]


def _unjudged_manager(tmp_path: Path, *, setting: bool) -> LifecycleManager:
    config = ManagerConfig(unjudged_test_result=setting)
    return LifecycleManager.open(tmp_path / f"u{setting}.db", clock=ManualClock(), config=config)


def test_a_host_may_let_unjudged_results_through_but_they_stay_unjudged(tmp_path: Path) -> None:
    """`unjudged_test_result=True` makes TEST_RESULT true; TEST_RESULT_JUDGED stays false."""
    with _unjudged_manager(tmp_path, setting=True) as manager:
        out = run_delegate(
            manager, "ModelTestResultEval", {"MODEL_TEST_RESULT": {"testResults": METRICS}}
        )
    assert (out["TEST_RESULT"], out["TEST_RESULT_JUDGED"]) == (True, False)


def test_a_review_ticket_says_not_judged_never_passed(tmp_path: Path) -> None:
    """The ticket of an unjudged result reads "not judged", even when the host passes it."""
    for setting in (False, True):
        with _unjudged_manager(tmp_path, setting=setting) as manager:
            judged = run_delegate(
                manager, "ModelTestResultEval", {"MODEL_TEST_RESULT": {"testResults": METRICS}}
            )
            opened = run_delegate(manager, "CreateJiraTestReview", judged)
            board = manager.tickets.local
            assert isinstance(board, LocalTickets)
            key = opened["NEW_NOTIFICATION"]["key"]
            text = board.description(key)
            assert "Test results: not judged" in text
            assert "PASSED" not in text
            assert "Not judged: the model has no comparator DMN" in text
            assert "Failing criteria" not in text
            assert "passed" not in board.get(key).summary


def test_kpis_count_unjudged_results_apart_from_judged_ones(tmp_path: Path) -> None:
    """An unjudged result is neither a pass nor a fail in the KPIs: it is counted as such."""
    with _unjudged_manager(tmp_path, setting=True) as manager:
        run_delegate(
            manager, "ModelTestResultEval", {"MODEL_TEST_RESULT": {"testResults": METRICS}}
        )
        kpis = compute_kpis(manager)
    assert (kpis.tests_judged, kpis.tests_passed, kpis.tests_not_judged) == (0, 0, 1)
    assert kpis.as_dict()["tests_not_judged"] == 1
