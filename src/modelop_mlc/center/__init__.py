"""ModelOp Center: the port delegates use, the embedded `LocalCenter` and the model runner."""

from modelop_mlc.center._port import ModelOpCenter, ModelOpNotFoundError
from modelop_mlc.center.local import SIGNAL_PREFIX, LocalCenter

__all__ = ["SIGNAL_PREFIX", "LocalCenter", "ModelOpCenter", "ModelOpNotFoundError"]
