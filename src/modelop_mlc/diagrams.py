"""The MLC processes shipped with the package (`bpmn/` in the repository).

```python
from modelop_mlc import diagrams

manager.deploy(*diagrams.paths())                  # all of them
manager.deploy(diagrams.path("deploy_with_test_and_jira"))
manager.deploy(*diagrams.files("productionization"))  # with its called process and DMNs
```
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from modelop_mlc.errors import ConfigurationError

__all__ = ["COMPANIONS", "SHIPPED", "directory", "files", "path", "paths"]

SHIPPED: dict[str, str] = {
    "deploy_with_test_and_jira": "Deploy with run test and Jira",
    "run_back_test_jira": "Run Back Test (Jira)",
    "run_back_test_servicenow": "Run Back Test (ServiceNow)",
    "run_batch_model_job": "Run Batch Model Job",
    "model_refresh_one": "Model refresh and retraining",
    "model_refresh": "Model refresh (weekly, every deployed model)",
    "scheduled_monitoring": "Scheduled monitoring (daily back tests)",
    "productionization": "Model productionization (QA, tests, scan, approvals, PROD)",
    "approval_with_escalation": "Approval with escalation (called by productionization)",
}
"""Process key → name of every shipped diagram (each file is `<key>.bpmn`)."""

COMPANIONS: dict[str, tuple[str, ...]] = {
    "productionization": (
        "approval_with_escalation.bpmn",
        "productionization_approvers.dmn",
        "productionization_security_policy.dmn",
    ),
}
"""Process key → the other shipped files it needs deployed with it (called processes, DMN)."""


def directory() -> Path:
    """The folder holding the shipped `.bpmn` files.

    In an installed wheel they are package data (`modelop_mlc/_bpmn`); in a source checkout
    (an editable install) they are the repository's `bpmn/` folder.

    Raises:
        ConfigurationError: If neither is present (a broken installation).
    """
    packaged = Path(str(resources.files("modelop_mlc") / "_bpmn"))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "bpmn"
    if checkout.is_dir():
        return checkout
    raise ConfigurationError(
        "the shipped diagrams are missing: neither modelop_mlc/_bpmn nor the repository's "
        "bpmn/ folder exists; reinstall modelop-mlc"
    )


def path(key: str) -> Path:
    """The file of the shipped process `key`.

    Raises:
        ConfigurationError: If no shipped process has that key.
    """
    if key not in SHIPPED:
        raise ConfigurationError(
            f"no shipped process '{key}'; the shipped ones are {', '.join(SHIPPED)}"
        )
    return directory() / f"{key}.bpmn"


def files(key: str) -> list[Path]:
    """The shipped process `key` and the files it needs with it: deploy them together.

    Raises:
        ConfigurationError: If no shipped process has that key.
    """
    return [path(key), *(directory() / name for name in COMPANIONS.get(key, ()))]


def paths() -> list[Path]:
    """The files of every shipped process and their decision tables, in `SHIPPED` order."""
    found = [path(key) for key in SHIPPED]
    return found + sorted(directory().glob("*.dmn"))
