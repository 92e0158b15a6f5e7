"""Police broadcasts: fraud warnings, notices and training events.

- ``reach``: who a target (municipalities, areas, a circle) reaches, clipped to the author's
  municipalities, and the read-only count of people and phones before sending;
- ``lifecycle``: sending a broadcast with its alert, updating and cancelling it;
- ``rsvps``: places at training events and the waiting list;
- ``reminders``: the reminder push the day before an event;
- ``pushes``: who of a broadcast's people gets which push (quiet hours);
- ``queries``: the caller's list, the public warnings, counts for views, the row lock.

Who may see or change a broadcast is decided in ``services/permissions.py``; these functions
assume the caller has checked. The public service functions are importable from here.
"""

from grannsamverkan.services.broadcasts.lifecycle import (
    BroadcastMessage,
    CreatedBroadcast,
    cancel_broadcast,
    check_author_may_send,
    check_new_message,
    create_broadcast,
    update_broadcast,
)
from grannsamverkan.services.broadcasts.queries import (
    ViewCounts,
    active_warnings,
    previous_versions,
    recipient_count,
    target_area_names,
    view_counts,
    visible_broadcasts_query,
)
from grannsamverkan.services.broadcasts.reach import (
    Reach,
    ReachPreview,
    preview_reach,
    reach_of,
    sendable_places,
)
from grannsamverkan.services.broadcasts.reminders import REMINDER_LEAD, queue_due_reminders
from grannsamverkan.services.broadcasts.rsvps import (
    attendees,
    cancel_rsvp,
    release_places,
    rsvp,
    rsvp_counts,
    rsvp_of,
)

__all__ = [
    "REMINDER_LEAD",
    "BroadcastMessage",
    "CreatedBroadcast",
    "Reach",
    "ReachPreview",
    "ViewCounts",
    "active_warnings",
    "attendees",
    "cancel_broadcast",
    "cancel_rsvp",
    "check_author_may_send",
    "check_new_message",
    "create_broadcast",
    "preview_reach",
    "previous_versions",
    "queue_due_reminders",
    "reach_of",
    "recipient_count",
    "release_places",
    "rsvp",
    "rsvp_counts",
    "rsvp_of",
    "sendable_places",
    "target_area_names",
    "update_broadcast",
    "view_counts",
    "visible_broadcasts_query",
]
