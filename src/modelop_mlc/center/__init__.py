"""ModelOp Center: the port delegates use, the embedded `LocalCenter`, and `RestCenter`.

Besides the `ModelOpCenter` port every center implements, the optional capabilities
(`RecordEditing`, `CatalogueQueries`, `DeploymentRecords`, `NotificationInbox`,
`AuditTrail`, `ExternalFiles`) say what else a center can do; both centers here offer all.
"""

from modelop_mlc.center._capabilities import (
    CAPABILITIES,
    AuditTrail,
    CatalogueQueries,
    DeploymentRecords,
    ExternalFiles,
    NotificationInbox,
    RecordEditing,
)
from modelop_mlc.center._port import ModelOpCenter, ModelOpNotFoundError
from modelop_mlc.center.local import SIGNAL_PREFIX, LocalCenter
from modelop_mlc.center.rest import RestCenter

__all__ = [
    "CAPABILITIES",
    "SIGNAL_PREFIX",
    "AuditTrail",
    "CatalogueQueries",
    "DeploymentRecords",
    "ExternalFiles",
    "LocalCenter",
    "ModelOpCenter",
    "ModelOpNotFoundError",
    "NotificationInbox",
    "RecordEditing",
    "RestCenter",
]
