"""ModelOp Center: the port delegates use, the embedded `LocalCenter`, and `RestCenter`."""

from modelop_mlc.center._port import ModelOpCenter, ModelOpNotFoundError
from modelop_mlc.center.local import SIGNAL_PREFIX, LocalCenter
from modelop_mlc.center.rest import RestCenter

__all__ = ["SIGNAL_PREFIX", "LocalCenter", "ModelOpCenter", "ModelOpNotFoundError", "RestCenter"]
