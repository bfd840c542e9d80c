"""The `ModelOpCenter` port and its not-found error, kept in `modelop_mlc.ports`.

The centers here import them from this module; they live in `ports` so that the layers
below `center` (the delegate registry, the manager's signatures) can name them too.
"""

from modelop_mlc.ports import ModelOpCenter, ModelOpNotFoundError

__all__ = ["ModelOpCenter", "ModelOpNotFoundError"]
