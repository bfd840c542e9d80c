"""The ports: what the library asks of a ModelOp Center, a ticket system and DMN decisions.

These protocols and the records they pass sit low in the layers (above `domain`, below the
delegate registry), so `DelegateContext`, `LifecycleManager` and the pytest fixtures are typed
with them rather than with `Any`. Type your own center or ticket system against them:

- `ModelOpCenter`: what every center implements (`LocalCenter`, `RestCenter`); unknown ids
  raise `ModelOpNotFoundError`.
- Optional center capabilities, each a `runtime_checkable` protocol checked with
  `isinstance`: `RecordEditing`, `CatalogueQueries`, `DeploymentRecords`,
  `NotificationInbox`, `AuditTrail`, `ExternalFiles` (delegates; `CAPABILITIES` lists them)
  and `PendingJobs` (the manager runs the center's own queue).
- `TicketSystem`: where tickets are opened (Jira, ServiceNow, the embedded board); it takes a
  `TicketKind` and a `TicketContext` and returns `Ticket`s whose status is one of `STATUSES`.
  `TicketSystems` is the set one manager uses (`modelop_mlc.tickets.Tickets`).
- `Decisions`: the deployed DMN decisions (`DelegateContext.decisions`).

The implementations live in `modelop_mlc.center`, `modelop_mlc.tickets` and the manager, which
also re-export these names.
"""

from modelop_mlc.ports._capabilities import (
    CAPABILITIES,
    AuditTrail,
    CatalogueQueries,
    DeploymentRecords,
    ExternalFiles,
    NotificationInbox,
    PendingJobs,
    RecordEditing,
)
from modelop_mlc.ports._center import ModelOpCenter, ModelOpNotFoundError
from modelop_mlc.ports._decisions import Decisions
from modelop_mlc.ports._tickets import (
    DONE,
    IN_REVIEW,
    REJECTED,
    STATUSES,
    TO_DO,
    ModelChange,
    Ticket,
    TicketContext,
    TicketKind,
    TicketSystem,
    TicketSystems,
    wake_key,
)

__all__ = [
    "CAPABILITIES",
    "DONE",
    "IN_REVIEW",
    "REJECTED",
    "STATUSES",
    "TO_DO",
    "AuditTrail",
    "CatalogueQueries",
    "Decisions",
    "DeploymentRecords",
    "ExternalFiles",
    "ModelChange",
    "ModelOpCenter",
    "ModelOpNotFoundError",
    "NotificationInbox",
    "PendingJobs",
    "RecordEditing",
    "Ticket",
    "TicketContext",
    "TicketKind",
    "TicketSystem",
    "TicketSystems",
    "wake_key",
]
