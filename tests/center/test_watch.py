"""DataFolderWatcher: files landing in a folder become labelled data and start a refresh."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bpmn_xml import chain, process
from modelop_mlc import ConfigurationError, LifecycleManager
from modelop_mlc.center import LocalCenter
from modelop_mlc.center.watch import DataFolderWatcher
from modelop_mlc.domain import AssetRole

DATA_CHANGED = process(
    '<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:startEvent>'
    '<bpmn:userTask id="look"/><bpmn:endEvent id="e"/>' + chain("s", "look", "e"),
    "on_data",
    extra='<bpmn:signal id="sig" name="com.modelop.mlc.definitions.Signals_model_data_changed"/>',
)


@pytest.fixture(name="center")
def _center(manager: LifecycleManager) -> LocalCenter:
    assert isinstance(manager.center, LocalCenter)
    manager.deploy(DATA_CHANGED)
    manager.center.register_model("credit-default", source="def score(df): pass\n")
    return manager.center


def test_a_new_file_becomes_an_asset_and_starts_the_process(
    manager: LifecycleManager, center: LocalCenter, tmp_path: Path
) -> None:
    """A CSV in <model>/training/ replaces the TRAINING_DATA asset and signals the change."""
    landing = tmp_path / "landing"
    (landing / "credit-default" / "training").mkdir(parents=True)
    (landing / "credit-default" / "training" / "june.csv").write_text("id,default\n1,0\n")
    watcher = DataFolderWatcher(center, landing)

    landed = watcher.scan()

    model = center.find_stored_models(name="credit-default")[0]
    assert [(f.path.name, f.model_id, f.role) for f in landed] == [
        ("june.csv", model.id, AssetRole.TRAINING_DATA)
    ]
    training = [a for a in model.model_assets if a.asset_role == AssetRole.TRAINING_DATA]
    assert [(a.filename, center.read_asset(a)) for a in training] == [
        ("june.csv", "id,default\n1,0\n")
    ]
    assert [a.file_content for a in training] == [None]  # kept by the center, not the record
    started = manager.instances(key="on_data")
    assert len(started) == 1
    assert started[0].variables["STORED_MODEL_ID"] == model.id


def test_seen_files_are_not_added_again_but_changed_ones_are(
    manager: LifecycleManager, center: LocalCenter, tmp_path: Path
) -> None:
    """A second scan adds nothing; a changed file is added again, even after a restart."""
    target = tmp_path / "credit-default" / "test" / "latest.csv"
    target.parent.mkdir(parents=True)
    target.write_text("id,default\n1,0\n")
    assert len(DataFolderWatcher(center, tmp_path).scan()) == 1
    assert DataFolderWatcher(center, tmp_path).scan() == []

    target.write_text("id,default\n1,0\n2,1\n")
    os.utime(target, ns=(1, 2_000_000_000))
    landed = DataFolderWatcher(center, tmp_path).scan()
    assert [f.role for f in landed] == [AssetRole.TEST_DATA]
    assert len(manager.instances(key="on_data")) == 2


def test_unknown_models_and_roles_are_skipped_with_a_warning(
    center: LocalCenter, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Files that fit no model or role are left alone, and the log says why."""
    (tmp_path / "nobody" / "training").mkdir(parents=True)
    (tmp_path / "nobody" / "training" / "a.csv").write_text("x\n1\n")
    (tmp_path / "credit-default" / "weights").mkdir(parents=True)
    (tmp_path / "credit-default" / "weights" / "b.csv").write_text("x\n1\n")
    with caplog.at_level(logging.WARNING, logger="modelop_mlc.center.watch"):
        assert DataFolderWatcher(center, tmp_path).scan() == []
    messages = " | ".join(r.getMessage() for r in caplog.records)
    assert "'nobody' is no registered model" in messages
    assert "'weights' is no known role" in messages


def test_watching_a_missing_folder_is_refused(center: LocalCenter, tmp_path: Path) -> None:
    """The error names the folder."""
    with pytest.raises(ConfigurationError, match="it is not a directory"):
        DataFolderWatcher(center, tmp_path / "missing")
