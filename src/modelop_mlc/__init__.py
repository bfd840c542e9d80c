"""Govern machine-learning models with BPMN: MLC processes on SpiffWorkflow, embedded in Python."""

from modelop_mlc.clock import Clock, ManualClock, SystemClock
from modelop_mlc.errors import BpmnError, MlcError

__version__ = "0.1.0"

__all__ = [
    "BpmnError",
    "Clock",
    "ManualClock",
    "MlcError",
    "SystemClock",
    "__version__",
]
