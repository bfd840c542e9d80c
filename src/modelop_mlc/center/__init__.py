"""ModelOp Center: the port delegates use and its centers (Local, REST, MLflow).

Besides the `ModelOpCenter` port every center implements, the optional capabilities
(`RecordEditing`, `CatalogueQueries`, `DeploymentRecords`, `NotificationInbox`,
`AuditTrail`, `ExternalFiles`, `PendingJobs`) say what else a center can do: `LocalCenter`
and `RestCenter` offer all but `PendingJobs`, which only `LocalCenter` needs; `MlflowCenter`
offers those MLflow can hold, and `PendingJobs` (docs/mlflow.md). The protocols live in
`modelop_mlc.ports` and are re-exported here.
"""

from modelop_mlc.center._mlflow_events import WebhookRejectedError
from modelop_mlc.center.local import SIGNAL_PREFIX, LocalCenter
from modelop_mlc.center.mlflow import DeploymentTarget, MlflowCenter
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
    "DeploymentTarget",
    "ExternalFiles",
    "LocalCenter",
    "MlflowCenter",
    "ModelOpCenter",
    "ModelOpNotFoundError",
    "NotificationInbox",
    "PendingJobs",
    "RecordEditing",
    "RestCenter",
    "WebhookRejectedError",
]
