"""An alert's push rows written already leased to this process's dispatcher, which sends
them as soon as the request commits, without claiming them first (notify/hand_off.py).

A request of a process whose dispatcher runs in it (``GSV_DISPATCHER=thread``) finds a
``PushHandOff`` in its session's ``info``; anywhere else (RQ workers, commands, chores) there
is none and rows are written unleased, for any dispatcher to claim. A leased row is an
ordinary claimed row: if the process dies before sending it, the lease runs out and another
dispatcher takes it, as after a claim.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, cast

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Delivery
from grannsamverkan.services.bulk_insert import insert_rows

# The session.info key under which notify/runner.py offers the hand-off to a request.
HAND_OFF = "push_hand_off"


class PushHandOff(Protocol):
    """This process's dispatcher, as a request sees it (notify/hand_off.py ``HandOff``)."""

    limit: int  # rows of one alert it takes at most: one batch; the rest are claimed

    def lease(self, now: datetime) -> dict[str, Any]:
        """The lease columns of a row written for it (``claimed_by``, ``claimed_until``)."""
        ...

    def take(
        self, alert: Alert, rows: list[dict[str, Any]], tokens: dict[int | None, str | None]
    ) -> None:
        """Rows written leased (with their ``id``), sent once the transaction commits;
        ``tokens``: each device id's FCM token."""
        ...


def insert_push_rows(
    alert: Alert, rows: list[dict[str, Any]], tokens: dict[int | None, str | None]
) -> None:
    """Insert an alert's push rows (one statement); with a hand-off offered, the first
    ``limit`` of them leased to it and handed over with their new ids."""
    hand_off = cast(PushHandOff | None, db.session.info.get(HAND_OFF))
    if hand_off is None:
        insert_rows(Delivery, rows)
        return
    leased = hand_off.lease(rows[0]["created_at"])
    free = dict.fromkeys(leased)  # the rest: the same columns, unleased
    rows = [{**row, **(leased if n < hand_off.limit else free)} for n, row in enumerate(rows)]
    # The ids come back in no order: the device tells the rows apart (one row per device).
    ids = {row[0]: row[1] for row in insert_rows(Delivery, rows, ("device_id", "id"))}
    hand_off.take(
        alert, [{**row, "id": ids[row["device_id"]]} for row in rows[: hand_off.limit]], tokens
    )
