"""The shipped diagrams are drawn with the element templates, as a Modeler user would draw them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from modelop_mlc import diagrams
from modelop_mlc.element_templates import shipped
from modelop_mlc.element_templates._xml import output_name

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
TEMPLATES = {t["id"]: t for t in shipped()}


@pytest.mark.parametrize("key", list(diagrams.SHIPPED))
def test_every_service_task_carries_its_template_and_all_its_fields(key: str) -> None:
    """Template id and version match a shipped template; the parameters are its fields."""
    root = ET.parse(diagrams.path(key)).getroot()
    tasks = list(root.iter(f"{BPMN}serviceTask"))
    assert tasks
    for task in tasks:
        template = TEMPLATES[task.attrib[f"{CAMUNDA}modelerTemplate"]]
        where = (key, task.attrib["id"])
        assert task.attrib[f"{CAMUNDA}modelerTemplateVersion"] == str(template["version"]), where
        (klass,) = [
            p["value"]
            for p in template["properties"]
            if p["binding"].get("name") == "camunda:class"
        ]
        assert task.attrib[f"{CAMUNDA}class"] == klass, where
        inputs = [p.attrib["name"] for p in task.iter(f"{CAMUNDA}inputParameter")]
        sources = [(p.text or "") for p in task.iter(f"{CAMUNDA}outputParameter")]
        fields = [p for p in template["properties"] if p["binding"]["type"] != "property"]
        assert inputs == [p["binding"]["name"] for p in fields if "name" in p["binding"]], where
        assert sources == [p["binding"]["source"] for p in fields if output_name(p)], where
