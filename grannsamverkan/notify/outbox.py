"""The outbox dispatcher: sends committed delivery rows and records what became of them.

Several dispatchers may run at once (threads, ``push worker`` processes, RQ workers on many
hosts). Each claims due rows with a lease in one short statement — ``UPDATE … RETURNING``
over ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, under the write lock of ``BEGIN IMMEDIATE``
on SQLite — sends outside any transaction, then records the results of the rows it still
holds. Where the transport carries several batches at once (``max_in_flight``, aiohttp), a
dispatcher keeps up to ``in_flight`` batches sending while it claims the next and records
the finished ones, so FCM's answer time is not spent idle. A dispatcher killed at any moment
leaves its rows leased; when the lease runs out another takes them and sends again, so at
most the batches it had in flight are sent twice and nothing is lost. Phones drop duplicates
by alert id. A dispatcher whose ``stop`` is set (SIGTERM, process exit) claims nothing more,
finishes the multicasts in flight and releases the unsent rest of its batches: another takes
them at once, none twice.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from grannsamverkan.extensions import db
from grannsamverkan.metrics import SEND_SECONDS
from grannsamverkan.models import Alert, Delivery, Device
from grannsamverkan.models.types import id_among, utcnow
from grannsamverkan.notify import open311
from grannsamverkan.notify.hand_off import HandedBatch, HandOff, start_pushes
from grannsamverkan.notify.in_flight import Inline, Sending, Submitter, push_pool
from grannsamverkan.notify.mail import LogMailer, Mailer, send_emails
from grannsamverkan.notify.mail_rows import UnsubscribeLinks, compose_mails, no_links
from grannsamverkan.notify.multicasts import push_groups
from grannsamverkan.notify.outbox_rows import Claimed, RetryPolicy, lease_due_rows, outcome_values
from grannsamverkan.notify.reporting import outcome_of, report_recorded
from grannsamverkan.notify.sender import MAX_BATCH, Outcome, PushSender, TokenResult
from grannsamverkan.notify.sms import LogSmsSender, SmsSender, send_text_messages
from grannsamverkan.notify.sms_text import SmsSubject, place_names

log = logging.getLogger(__name__)


# Work that writes outbox rows when it is due rather than on a request (event reminders),
# given the time of the dispatcher's pass.
Chore = Callable[[datetime], object]


class Dispatcher:
    """Claims, sends and records delivery rows; one per thread or process."""

    def __init__(
        self,
        sender: PushSender,
        *,
        batch_size: int = MAX_BATCH,
        lease_s: float = 120.0,
        policy: RetryPolicy | None = None,
        chores: Sequence[Chore] = (),
    ) -> None:
        self.sender = sender
        # Batches that may be sending at once, as far as the transport carries them
        # (in_flight.push_pool); dispatcher_for sets GSV_PUSH_IN_FLIGHT.
        self.in_flight = 1
        self.stop = threading.Event()  # set: no new claim, no next multicast (runner.py)
        self.released = 0  # claimed rows handed back unsent
        # E-mail and SMS rows go out through these; dispatcher_for (runner.py) sets the
        # configured ones.
        self.mailer: Mailer = LogMailer()
        self.sms_sender: SmsSender = LogSmsSender()
        self.unsubscribe_links: UnsubscribeLinks = no_links
        # Tips to municipalities' Open311 servers (channel "open311"); set by dispatcher_for.
        self.open311 = open311.Open311Client({})
        # Work that writes outbox rows when it is due rather than on a request (event
        # reminders): run at the start of each pass, each in a transaction of its own.
        self.chores = tuple(chores)
        self.batch_size = min(batch_size, MAX_BATCH)
        self.lease = timedelta(seconds=lease_s)
        self.policy = policy or RetryPolicy()
        self.name = f"{socket.gethostname()}:{secrets.token_hex(4)}"  # leases are held under it
        # Batches requests of this process wrote leased to it (notify/hand_off.py): only a
        # dispatcher thread in an app that serves requests has them (runner.py).
        self.handed_off: HandOff | None = None

    # --- the loop's steps --------------------------------------------------------------------

    def run_once(self, *, on_full_batch: Callable[[], object] | None = None) -> int:
        """Claim one batch of due rows, send them, record results. Returns rows handled.

        ``on_full_batch`` is called, before sending, when the claim came back full: more
        rows are probably due than this dispatcher will send soon.
        """
        claimed = self.claim()
        if not claimed:
            return 0
        if on_full_batch is not None and len(claimed) >= self.batch_size:
            on_full_batch()
        results = self.send(claimed)
        self.record(claimed, results)
        return len(claimed)

    def run_until_idle(
        self,
        *,
        max_batches: int | None = None,
        on_full_batch: Callable[[], object] | None = None,
    ) -> int:
        """Dispatch until nothing is due; returns the number of rows handled.

        Chores run after what was already due, so a fresh alert's first push does not wait
        for them; rows a chore writes are sent in the same pass. ``on_full_batch`` is called
        at most once, at the first full claim (see run_once).
        """
        handled = self._send_due(max_batches, on_full_batch)
        if not self.stop.is_set() and self.run_chores():
            handled += self._send_due(max_batches, None)
        return handled

    def _send_due(self, max_batches: int | None, on_full_batch: Callable[[], object] | None) -> int:
        """Claim, send and record until a claim comes back empty, with up to ``in_flight``
        batches sending while the next is claimed and the oldest recorded."""
        handled = 0
        batches = 0
        window: deque[Sending] = deque()
        claiming = True
        pool = push_pool(self.in_flight, self.sender)
        try:
            while True:
                handed = self._take_handed_off(pool)
                window.extend(handed)
                handled += sum(len(sending.claimed) for sending in handed)
                if not (claiming or window):
                    break
                claiming = (
                    claiming
                    and not self.stop.is_set()
                    and (max_batches is None or batches < max_batches)
                )
                if claiming and len(window) < pool.window:
                    claimed = self.claim()
                    if claimed:
                        if on_full_batch is not None and len(claimed) >= self.batch_size:
                            on_full_batch()
                            on_full_batch = None
                        window.append(self._start(claimed, pool))
                        handled += len(claimed)
                        batches += 1
                        continue
                    claiming = False
                if window:
                    sending = window.popleft()
                    self.record(sending.claimed, sending.outcome())
        finally:
            self._record_left(window)
        return handled

    def _take_handed_off(self, pool: Submitter) -> list[Sending]:
        """The batches handed over by requests since the last look: already sending on the
        transport's loop, or started now."""
        if self.handed_off is None:
            return []
        return [
            item if isinstance(item, Sending) else self._start_handed(item, pool)
            for item in self.handed_off.take_all()
        ]

    def _start_handed(self, batch: HandedBatch, pool: Submitter) -> Sending:
        try:
            return start_pushes(pool, self.stop, batch)
        except Exception:
            self._hand_back(batch.claimed)
            raise

    def settle_handed_off(self) -> None:
        """On stopping: record the handed-off batches that are sending, release the rest."""
        if self.handed_off is None:
            return
        for item in self.handed_off.take_all():
            if isinstance(item, Sending):
                self._record_left(deque([item]))
            else:
                self._hand_back(item.claimed)

    def _record_left(self, window: deque[Sending]) -> None:
        """After a failure, record the batches still in flight: their pushes went out, and
        rows left leased would be sent again when the lease runs out."""
        while window:
            sending = window.popleft()
            try:
                self.record(sending.claimed, sending.outcome())
            except Exception:  # noqa: BLE001 - the first failure is the one re-raised
                log.exception("push dispatcher %s could not record a batch", self.name)

    def run_chores(self) -> bool:
        """Run each chore and commit what it wrote (a failing chore is rolled back alone).
        Returns whether any chore wrote delivery rows."""
        wrote = False
        for chore in self.chores:
            try:
                chore(utcnow())
                wrote = wrote or bool(db.session.info.get("deliveries_written"))
                db.session.commit()
            except Exception:  # noqa: BLE001 - a chore must not stop the pushes
                db.session.rollback()
                log.exception("dispatcher chore %s failed", getattr(chore, "__name__", chore))
        return wrote

    def claim(self) -> list[Claimed]:
        """Lease up to one batch of due rows: one ``UPDATE … RETURNING`` and its commit."""
        now = utcnow()
        lease = lease_due_rows(self.name, now, until=now + self.lease, limit=self.batch_size)
        try:
            rows = db.session.execute(lease).all()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        claimed = [Claimed(*row) for row in rows]
        # RETURNING keeps no order: one alert's rows together again, as the claim took them.
        claimed.sort(key=lambda c: (c.alert_id is None, c.alert_id or 0, c.delivery_id))
        return claimed

    def send(self, claimed: list[Claimed]) -> dict[int, TokenResult]:
        """Send the claimed rows and wait for them (``_start``); results by delivery id."""
        return self._start(claimed, Inline(self.sender)).outcome()

    def _start(self, claimed: list[Claimed], pool: Submitter) -> Sending:
        """Send the claimed rows: the pushes handed to ``pool``, one multicast per (alert,
        purpose, language, silence); then the e-mail rows over the mailer, the SMS rows over
        the SMS sender and the Open311 rows to their municipalities, in this thread."""
        now = utcnow()
        emails = [c for c in claimed if c.channel == "email"]
        texts = [c for c in claimed if c.channel == "sms"]
        forwards = [c for c in claimed if c.channel == "open311"]
        try:
            alert_ids = {
                c.alert_id for c in claimed if c.channel != "open311" and c.alert_id is not None
            }
            alerts = {
                a.id: a for a in db.session.scalars(select(Alert).where(Alert.id.in_(alert_ids)))
            }
            places = place_names({c.alert_id for c in texts if c.alert_id is not None})
            jobs = open311.load_jobs(forwards)
            # E-mails are rendered now, while the session may still read an alert's area.
            results, mails = compose_mails(emails, alerts, self.unsubscribe_links, now=now)
            # Detached, the alerts keep their loaded values: reading them while FCM answers
            # must not open a transaction (on SQLite it would hold the write lock meanwhile).
            db.session.expunge_all()
            db.session.commit()
            groups = push_groups(claimed, alerts, now, results)
            # First: the pushes are what is urgent, and a pool sends them while this goes on.
            pushes = pool.send(self.stop, groups, alerts, now)
        except Exception:
            # Nothing of the batch has gone out: hand it all back rather than leave it leased
            # until the lease runs out. (A pool refuses work once the interpreter exits.)
            db.session.rollback()
            self._hand_back(claimed)
            raise
        if texts:
            subjects = {i: SmsSubject(a, places.get(i)) for i, a in alerts.items()}
            with SEND_SECONDS.labels(channel="sms").time():
                results.update(send_text_messages(self.sms_sender, texts, subjects, now=now))
        if emails:
            with SEND_SECONDS.labels(channel="email").time():
                results.update(send_emails(self.mailer, mails))
        # Last: a slow municipality must not hold up the pushes claimed with its rows.
        budget_s = self.lease.total_seconds() / 2
        results.update(open311.send_jobs(self.open311, forwards, jobs, budget_s=budget_s))
        return Sending(claimed, results, pushes)

    def record(self, claimed: list[Claimed], results: dict[int, TokenResult]) -> None:
        """Store each row's outcome while this dispatcher holds its lease; release unsent rows."""
        now = utcnow()
        unsent = [c.delivery_id for c in claimed if c.delivery_id not in results]
        by_id = {c.delivery_id: c for c in claimed}
        # Rows with the same outcome values share one UPDATE: 500 rows sent (or retried) alike
        # are one statement, not 500 round trips that keep this dispatcher from the next alert.
        delay = self.policy.delays_for_one_batch()
        values_of = {i: outcome_values(by_id[i], r, now, delay) for i, r in results.items()}
        same_values: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
        for delivery_id, values in values_of.items():
            same_values[tuple(sorted(values.items()))].append(delivery_id)
        try:
            held: set[int] = set()
            for values_key, ids in same_values.items():
                # Only rows still ours: if our lease ran out, another dispatcher owns them.
                held.update(
                    db.session.scalars(
                        update(Delivery)
                        .where(id_among(Delivery.id, ids), Delivery.claimed_by == self.name)
                        .values(**dict(values_key))
                        .returning(Delivery.id)
                        .execution_options(synchronize_session=False)
                    )
                )
            recorded = [(by_id[i], outcome_of(values_of[i]), results[i].error) for i in held]
            forwarded = [
                (forward_id, results[i], values_of[i].get("state", "pending"))
                for i in held
                if (forward_id := by_id[i].tip_forward_id) is not None
            ]
            open311.record_outcomes(forwarded, now=now)
            dead_tokens = {
                results[i].token
                for i in held
                if results[i].outcome is Outcome.UNREGISTERED and results[i].token
            }
            if dead_tokens:
                # FCM says these tokens are gone for good: forget them (token hygiene).
                db.session.execute(delete(Device).where(Device.token.in_(dead_tokens)))
            if unsent:
                self._release(unsent)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        report_recorded(recorded)

    def _hand_back(self, claimed: list[Claimed]) -> None:
        """Release a whole batch that could not be started, in a transaction of its own."""
        try:
            self._release([c.delivery_id for c in claimed])
            db.session.commit()
        except Exception:  # noqa: BLE001 - the failure that stopped the batch is re-raised
            db.session.rollback()
            log.exception("push dispatcher %s could not release a batch", self.name)

    def _release(self, ids: list[int]) -> None:
        """Hand rows back: due now, for any dispatcher, without waiting for the lease."""
        self.released += len(ids)
        log.info("push dispatcher %s releasing %d unsent rows", self.name, len(ids))
        db.session.execute(
            update(Delivery)
            .where(id_among(Delivery.id, ids), Delivery.claimed_by == self.name)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
