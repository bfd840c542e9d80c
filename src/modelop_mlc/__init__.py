"""Govern machine-learning models with BPMN: MLC processes on SpiffWorkflow, embedded in Python.

Errors and clocks load with the package; the rest (the manager, SpiffWorkflow behind it, the
records) loads on first use, so `import modelop_mlc.errors` or the pytest plugin stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from modelop_mlc.clock import Clock, ManualClock, SkippingClock, SystemClock
from modelop_mlc.errors import (
    BpmnError,
    ConfigurationError,
    CorrelationError,
    DatabaseNotFoundError,
    DecisionError,
    DefinitionNotFoundError,
    DelegateError,
    DiagramError,
    ExpressionError,
    IncidentNotFoundError,
    InstanceConflictError,
    InstanceNotFoundError,
    IntegrationError,
    MlcError,
    NotFoundError,
    ProblemReport,
    ProcessError,
    SchemaVersionError,
    ScriptError,
    StoreError,
    TaskNotFoundError,
    TaskNotOpenError,
    UnknownDelegateError,
    VariableError,
)

if TYPE_CHECKING:
    __version__: str
    from modelop_mlc.config import ManagerConfig
    from modelop_mlc.manager import LifecycleManager
    from modelop_mlc.models import (
        Deployment,
        FormFieldInfo,
        HistoryEvent,
        Incident,
        MessageResult,
        ProcessDefinition,
        ProcessInstance,
        PurgeResult,
        SignalResult,
        UserTask,
    )
    from modelop_mlc.registry import DelegateContext, DelegateEntry, DelegateRegistry, Pending
    from modelop_mlc.validation import ValidationReport, validate

__all__ = [
    "BpmnError",
    "Clock",
    "ConfigurationError",
    "CorrelationError",
    "DatabaseNotFoundError",
    "DecisionError",
    "DefinitionNotFoundError",
    "DelegateContext",
    "DelegateEntry",
    "DelegateError",
    "DelegateRegistry",
    "Deployment",
    "DiagramError",
    "ExpressionError",
    "FormFieldInfo",
    "HistoryEvent",
    "Incident",
    "IncidentNotFoundError",
    "InstanceConflictError",
    "InstanceNotFoundError",
    "IntegrationError",
    "LifecycleManager",
    "ManagerConfig",
    "ManualClock",
    "MessageResult",
    "MlcError",
    "NotFoundError",
    "Pending",
    "ProblemReport",
    "ProcessDefinition",
    "ProcessError",
    "ProcessInstance",
    "PurgeResult",
    "SchemaVersionError",
    "ScriptError",
    "SignalResult",
    "SkippingClock",
    "StoreError",
    "SystemClock",
    "TaskNotFoundError",
    "TaskNotOpenError",
    "UnknownDelegateError",
    "UserTask",
    "ValidationReport",
    "VariableError",
    "__version__",
    "validate",
]

_HOMES = {
    "DelegateContext": "registry",
    "DelegateEntry": "registry",
    "DelegateRegistry": "registry",
    "Deployment": "models",
    "FormFieldInfo": "models",
    "HistoryEvent": "models",
    "Incident": "models",
    "LifecycleManager": "manager",
    "ManagerConfig": "config",
    "MessageResult": "models",
    "Pending": "registry",
    "ProcessDefinition": "models",
    "ProcessInstance": "models",
    "PurgeResult": "models",
    "SignalResult": "models",
    "UserTask": "models",
    "ValidationReport": "validation",
    "validate": "validation",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use (and keep it)."""
    if name == "__version__":
        # Read from the installed package's metadata: pyproject.toml is the one place it is set.
        value = importlib.import_module("modelop_mlc._version").version()
        globals()[name] = value
        return value
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'modelop_mlc' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"modelop_mlc.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the public names."""
    return sorted({*globals(), *__all__})
