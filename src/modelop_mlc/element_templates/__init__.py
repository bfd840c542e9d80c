"""Camunda Modeler element templates for every delegate, ModelOp's signals and the HTTP connector.

Element templates (Camunda 7's JSON schema) turn a service task in Camunda Modeler into
"ModelOp: Deploy Model" with named, typed, documented fields bound to `camunda:class`,
`camunda:inputParameter` and `camunda:outputParameter`. They are generated from the delegate
catalogue and its variable glossary, the source the docs' delegate table is made from, and
ship with the package:

```python
from modelop_mlc import element_templates

element_templates.write("~/.camunda/element-templates")   # what `mlc templates --out` does
```

`scripts/element_templates.py --write` regenerates the shipped files (`element-templates/`
in the repository); a template whose content changes gets the next version, so Camunda
Modeler offers to update the tasks drawn with the old one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from modelop_mlc.element_templates._delegates import delegate_template, refused_template
from modelop_mlc.element_templates._events import SIGNALS, connector_template, signal_template
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.handlers import delegate_names
from modelop_mlc.handlers._base import CATALOGUE, REFUSED
from modelop_mlc.handlers._modelop35 import MODELOP_35

__all__ = ["directory", "file_name", "generate", "shipped", "write"]

_CONNECTOR = "http-connector"


def _unversioned() -> list[dict[str, Any]]:
    if not delegate_names():  # pragma: no cover - importing handlers fills the catalogue
        raise ConfigurationError("the delegate catalogue is empty")
    templates = []
    for spec in sorted(CATALOGUE, key=lambda s: s.name.lower()):
        if spec.name == _CONNECTOR:
            templates.append(connector_template(spec))
            continue
        templates.append(delegate_template(spec))
        templates += [delegate_template(spec, a) for a in spec.aliases if a in MODELOP_35]
    templates += [refused_template(r) for r in sorted(REFUSED, key=lambda r: r.name.lower())]
    templates += [signal_template(s) for s in SIGNALS]
    return templates


def _content(template: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in template.items() if k != "version"}


def generate(previous: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Make every template from the catalogue.

    Args:
        previous: The templates shipped so far, by id: one whose content is unchanged keeps
            its version, a changed one gets the next, a new one version 1.

    Returns:
        The templates, each with `id` and `version`.
    """
    made = []
    for template in _unversioned():
        before = (previous or {}).get(template["id"])
        version = 1
        if before is not None:
            version = int(before.get("version", 0))
            version += 0 if _content(before) == template else 1
        ordered = {k: template[k] for k in ("$schema", "name", "id")}
        made.append({**ordered, "version": version, **template})
    return made


def file_name(template: Mapping[str, Any]) -> str:
    """The file a template is stored in: its id and `.json`."""
    return f"{template['id']}.json"


def directory() -> Path:
    """The folder of the shipped templates (package data, or `element-templates/` in a checkout).

    Raises:
        ConfigurationError: If neither is present (a broken installation).
    """
    packaged = Path(str(resources.files("modelop_mlc") / "_element_templates"))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "element-templates"
    if checkout.is_dir():
        return checkout
    raise ConfigurationError(
        "the element templates are missing: neither modelop_mlc/_element_templates nor the "
        "repository's element-templates/ folder exists; reinstall modelop-mlc"
    )


def shipped() -> list[dict[str, Any]]:
    """The templates shipped with the package, sorted by file name."""
    return [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory().glob("*.json"))
    ]


def write(out: str | Path) -> list[Path]:
    """Copy the shipped templates into `out` (created if needed); return the files written.

    Camunda Modeler reads templates from `resources/element-templates/` in its
    installation or user data folder, and from `.camunda/element-templates/` in a diagram's
    folder or any folder above it.

    Raises:
        ConfigurationError: If `out` exists and is not a folder.
    """
    target = Path(out).expanduser()
    if target.exists() and not target.is_dir():
        raise ConfigurationError(f"{target} is not a folder; give a folder for the templates")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(directory().glob("*.json")):
        destination = target / source.name
        destination.write_bytes(source.read_bytes())
        written.append(destination)
    return written
