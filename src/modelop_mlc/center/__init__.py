"""ModelOp Center: the port delegates use, the embedded `LocalCenter`, and `RestCenter`.

Besides the `ModelOpCenter` port every center implements, the optional capabilities
(`RecordEditing`, `CatalogueQueries`, `DeploymentRecords`, `NotificationInbox`,
`AuditTrail`, `ExternalFiles`, `PendingJobs`) say what else a center can do; both centers
here offer all but `PendingJobs`, which only `LocalCenter` needs. The protocols live in
`modelop_mlc.ports` and are re-exported here.
"""

from modelop_mlc.center.local import SIGNAL_PREFIX, LocalCenter
from modelop_mlc.center.rest import RestCenter
from modelop_mlc.ports import (
    CAPABILITIES,
    AuditTrail,
    CatalogueQueries,
    DeploymentRecords,
    ExternalFiles,
    ModelOpCenter,
    ModelOpNotFoundError,
    NotificationInbox,
    PendingJobs,
    RecordEditing,
)

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
    "PendingJobs",
    "RecordEditing",
    "RestCenter",
]
