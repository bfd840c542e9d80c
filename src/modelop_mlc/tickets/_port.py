"""The `TicketSystem` port and its records, kept in `modelop_mlc.ports`.

The adapters here import them from this module; they live in `ports` so that the layers
below `tickets` (the delegate registry, the manager's signatures) can name them too.
"""

from modelop_mlc.ports import (
    DONE,
    IN_REVIEW,
    REJECTED,
    STATUSES,
    TO_DO,
    Ticket,
    TicketKind,
    TicketSystem,
    wake_key,
)

__all__ = [
    "DONE",
    "IN_REVIEW",
    "REJECTED",
    "STATUSES",
    "TO_DO",
    "Ticket",
    "TicketKind",
    "TicketSystem",
    "wake_key",
]
