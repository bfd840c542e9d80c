"""The lifecycle manager: deploy, start, signal, complete tasks, run timers and jobs, history."""

from modelop_mlc.manager._manager import LifecycleManager

__all__ = ["LifecycleManager"]
