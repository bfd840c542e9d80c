"""The lifecycle manager: deploy, start, signal, complete tasks, run timers and jobs, history."""

from modelop_mlc.manager._manager import LifecycleManager
from modelop_mlc.manager._repository import Source

__all__ = ["LifecycleManager", "Source"]
