"""The shipped element templates are a fresh generation from the catalogue, complete and honest."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from modelop_mlc import element_templates
from modelop_mlc.element_templates._events import SIGNALS
from modelop_mlc.element_templates._xml import output_name
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.handlers._base import CATALOGUE, REFUSED
from modelop_mlc.handlers._modelop35 import MODELOP_35
from modelop_mlc.handlers._variables import VARIABLES

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "element_templates.py"
SHIPPED = {t["id"]: t for t in element_templates.shipped()}


def load_script() -> ModuleType:
    """Import scripts/element_templates.py as a module."""
    spec = importlib.util.spec_from_file_location("element_templates_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inputs_of(template: dict[str, Any]) -> list[str]:
    """The input names a template binds (its connector scope included)."""
    props = template["properties"] + [
        p for s in template.get("scopes", ()) for p in s["properties"]
    ]
    return [p["binding"]["name"] for p in props if p["binding"]["type"] == "camunda:inputParameter"]


def outputs_of(template: dict[str, Any]) -> list[str]:
    """The delegate outputs a template maps (its connector scope included)."""
    props = template["properties"] + [
        p for s in template.get("scopes", ()) for p in s["properties"]
    ]
    return [n for n in (output_name(p) for p in props) if n is not None]


def test_shipped_files_are_what_the_catalogue_generates() -> None:
    """element-templates/ is up to date: run `python scripts/element_templates.py --write`."""
    script = load_script()
    present = {p.name: p.read_text(encoding="utf-8") for p in script.FOLDER.glob("*.json")}
    assert present == script.expected(), "run python scripts/element_templates.py --write"


def test_check_mode_exits_zero_on_the_current_files() -> None:
    """`--check` passes on up-to-date files (what a pre-commit hook runs)."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_a_changed_input_is_caught_and_versioned() -> None:
    """A delegate whose inputs changed since its template shipped makes the generation differ."""
    stale = copy.deepcopy(SHIPPED)
    deploy = stale["modelop_mlc.delegate.DeployModel"]
    deploy["properties"] = [
        p for p in deploy["properties"] if p["binding"].get("name") != "ENGINE_INSTANCE"
    ]
    renamed = stale["modelop_mlc.delegate.GetJob"]
    for prop in renamed["properties"]:
        if prop["binding"].get("source"):
            prop["binding"]["source"] = "${JOB_RECORD}"
    fresh = {t["id"]: t for t in element_templates.generate(stale)}
    assert fresh["modelop_mlc.delegate.DeployModel"] != deploy
    assert fresh["modelop_mlc.delegate.DeployModel"]["version"] == deploy["version"] + 1
    assert fresh["modelop_mlc.delegate.GetJob"]["version"] == renamed["version"] + 1
    assert fresh["modelop_mlc.delegate.GetJob"] != renamed
    unchanged = {k: v for k, v in fresh.items() if k not in {deploy["id"], renamed["id"]}}
    assert unchanged == {k: SHIPPED[k] for k in unchanged}


def test_a_new_template_starts_at_version_one() -> None:
    """Without a shipped file, a template is version 1."""
    assert {t["version"] for t in element_templates.generate({})} == {1}


def test_every_delegate_refusal_and_signal_has_a_template() -> None:
    """Each catalogued delegate, ModelOp alias, refused delegate and signal has one template."""
    wanted = {f"modelop_mlc.delegate.{s.name}" for s in CATALOGUE if s.name != "http-connector"}
    wanted |= {f"modelop_mlc.delegate.{a}" for s in CATALOGUE for a in s.aliases if a in MODELOP_35}
    wanted |= {f"modelop_mlc.delegate.{r.name}" for r in REFUSED}
    wanted |= {f"modelop_mlc.signal.{s.event}" for s in SIGNALS}
    wanted.add("modelop_mlc.connector.http")
    assert set(SHIPPED) == wanted
    covered = {t["id"].rsplit(".", 1)[1] for t in SHIPPED.values()}
    assert set(MODELOP_35) <= covered


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.name)
def test_a_template_binds_each_input_and_output_of_its_delegate(spec: Any) -> None:
    """Inputs become input parameters, outputs output parameters, in the catalogue's order."""
    tid = "modelop_mlc.connector.http" if spec.name == "http-connector" else spec.name
    template = SHIPPED.get(tid) or SHIPPED[f"modelop_mlc.delegate.{spec.name}"]
    assert inputs_of(template) == list(spec.inputs)
    assert outputs_of(template) == list(spec.outputs)
    required = [
        p["binding"]["name"]
        for p in template["properties"]
        + [q for s in template.get("scopes", ()) for q in s["properties"]]
        if p.get("constraints", {}).get("notEmpty")
        and p["binding"]["type"] == "camunda:inputParameter"
    ]
    assert required == [i for i in spec.inputs if i in spec.required]


def test_every_variable_a_delegate_reads_or_writes_is_described() -> None:
    """The glossary covers each input and output, so no template shows a bare name."""
    names = {n for s in CATALOGUE for n in (*s.inputs, *s.outputs)}
    names |= {n for r in REFUSED for n in r.outputs}
    names |= {v for s in SIGNALS for v in s.variables}
    assert sorted(names - set(VARIABLES)) == []


def test_enumerations_are_dropdowns_passing_the_variable_by_default() -> None:
    """JOB_TYPE offers ModelOp's job types, with the process variable first and chosen."""
    template = SHIPPED["modelop_mlc.delegate.CreateModelBatchJob"]
    (job_type,) = [p for p in template["properties"] if p["binding"].get("name") == "JOB_TYPE"]
    assert job_type["type"] == "Dropdown"
    assert [c["value"] for c in job_type["choices"]] == [
        '${execution.getVariable("JOB_TYPE")}',
        "MODEL_BATCH_JOB",
        "MODEL_BATCH_TEST_JOB",
        "MODEL_BATCH_TRAINING_JOB",
    ]
    assert job_type["value"] == job_type["choices"][0]["value"]


def test_patterns_accept_the_defaults_and_good_values_and_refuse_bad_ones() -> None:
    """A pattern lets the default expression and a literal through, and stops a typo."""
    checked = 0
    for template in SHIPPED.values():
        for prop in template["properties"]:
            pattern = prop.get("constraints", {}).get("pattern")
            if pattern is None:
                continue
            regex = re.compile(pattern["value"])
            assert regex.match(str(prop["value"])), (template["id"], prop["label"])
            assert not regex.match("not valid!"), (template["id"], prop["label"])
            checked += 1
    assert checked > 100
    date = re.compile(
        next(
            p["constraints"]["pattern"]["value"]
            for p in SHIPPED["modelop_mlc.delegate.SetDeployedModelExpiration"]["properties"]
            if p["binding"].get("name") == "EXPIRATION_DATE"
        )
    )
    assert date.match("2026-04-01") and date.match("2026-04-01T00:00:00Z")


def test_templates_document_the_failure_error() -> None:
    """Every delegate template says it throws FAILURE and how to catch it."""
    for template in SHIPPED.values():
        if template["id"].startswith("modelop_mlc.delegate.") and template["id"].rsplit(".", 1)[
            1
        ] not in {r.name for r in REFUSED}:
            assert "BPMN error FAILURE" in template["description"], template["id"]


def test_write_copies_the_shipped_files(tmp_path: Path) -> None:
    """`write(out)` puts one file per template into a new folder."""
    written = element_templates.write(tmp_path / "a" / "b")
    assert len(written) == len(SHIPPED)
    assert json.loads(written[0].read_text()) in SHIPPED.values()


def test_write_refuses_a_file_as_the_folder(tmp_path: Path) -> None:
    """A file in the way is named, and nothing is written."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigurationError, match="is not a folder"):
        element_templates.write(blocker)
