"""The `Decisions` port: the deployed DMN decisions, as delegates see them."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Decisions"]


@runtime_checkable
class Decisions(Protocol):
    """Looks up deployed DMN decisions (`DelegateContext.decisions`).

    The manager's implementation returns a `modelop_mlc.dmn.DmnModel`. The port promises only
    an object because DMN sits above the delegate registry in the layers: a delegate checks
    what it got with `isinstance(model, DmnModel)` before evaluating it.
    """

    def model(self, decision_id: str) -> object:
        """Return the DMN model holding the latest deployed version of `decision_id`.

        Raises:
            modelop_mlc.errors.DecisionError: If no deployed model has that decision.
        """
        ...
