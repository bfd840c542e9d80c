"""The public API: what `modelop_mlc` exports is a decision, recorded here and in CHANGELOG.md."""

from __future__ import annotations

import modelop_mlc

EXPORTS = [
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


def test_the_package_exports_exactly_the_public_api() -> None:
    """Changing this list is an API change: update CHANGELOG.md with it."""
    assert modelop_mlc.__all__ == EXPORTS


def test_every_export_is_importable_and_documented() -> None:
    """Each name exists, and every class and function has a docstring."""
    for name in EXPORTS:
        value = getattr(modelop_mlc, name)
        if callable(value):
            assert value.__doc__, f"{name} has no docstring"
