"""The outbox's Open311 channel: tips to municipalities' case systems (GeoReport v2).

The dispatcher (outbox.py) claims "open311" rows with the others, under the same leases,
and hands them here: a POST to ``requests.json`` per row, outside any transaction. 5xx,
429 and network failures are retried with the outbox's backoff; any other 4xx is final. The
answer's ``service_request_id`` (or the ``token`` to swap for one later) is stored on the
forward; ``notify/open311_status.py`` reads back what the municipality did with it. A read
time-out after the server took the request sends it again: at most one duplicate, as with
pushes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import TipForward
from grannsamverkan.notify.sender import Outcome, TokenResult
from grannsamverkan.open311_config import Open311Endpoint, parse_open311

RETRIED_STATUSES = {408, 425, 429}


@dataclass(frozen=True)
class Submitted(TokenResult):
    """A POST's outcome, with what the municipality's server answered."""

    service_request_id: str | None = None
    request_token: str | None = None


@dataclass(frozen=True)
class Job:
    """A claimed "open311" row with its forward, read before the sending starts."""

    delivery_id: int
    municipality_code: str
    payload: dict[str, Any]


class Open311Client:
    """GeoReport v2 over HTTP (requests), one endpoint per municipality."""

    def __init__(self, endpoints: Mapping[str, Open311Endpoint], *, timeout_s: float = 10):
        self.endpoints = dict(endpoints)
        self.timeout_s = timeout_s
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "Grannsamverkan (Open311 GeoReport v2)"

    def submit(self, job: Job) -> Submitted:
        endpoint = self.endpoints.get(job.municipality_code)
        if endpoint is None:
            return Submitted("", Outcome.FAILED, error="no Open311 endpoint configured")
        form = {**job.payload, **_identity(endpoint, with_key=True)}
        try:
            answer = self.http.post(
                endpoint.endpoint + "requests.json", data=form, timeout=self.timeout_s
            )
        except requests.RequestException as error:
            return Submitted("", Outcome.RETRY, error=f"{type(error).__name__}: {error}"[:500])
        if answer.status_code >= 500 or answer.status_code in RETRIED_STATUSES:
            return Submitted("", Outcome.RETRY, _retry_after(answer), error=_error_text(answer))
        if answer.status_code >= 400:
            return Submitted("", Outcome.FAILED, error=_error_text(answer))
        return _accepted(answer)

    def read(self, code: str, path: str) -> dict[str, Any] | None:
        """The first object of a GET answer under the endpoint; None when not (yet) known."""
        endpoint = self.endpoints[code]
        answer = self.http.get(
            endpoint.endpoint + path, params=_identity(endpoint), timeout=self.timeout_s
        )
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        body = answer.json()
        first = body[0] if isinstance(body, list) and body else None
        return first if isinstance(first, dict) else None


def _identity(endpoint: Open311Endpoint, *, with_key: bool = False) -> dict[str, str]:
    fields = {}
    if endpoint.jurisdiction_id:
        fields["jurisdiction_id"] = endpoint.jurisdiction_id
    if with_key and endpoint.api_key:
        fields["api_key"] = endpoint.api_key
    if with_key and endpoint.email:
        fields["email"] = endpoint.email
    return fields


def _retry_after(answer: requests.Response) -> float | None:
    value = answer.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _error_text(answer: requests.Response) -> str:
    """GeoReport v2 errors are ``[{"code": 400, "description": "..."}]``."""
    try:
        description = answer.json()[0]["description"]
    except (ValueError, LookupError, TypeError):
        description = answer.text[:200]
    return f"HTTP {answer.status_code}: {description}"[:500]


def _accepted(answer: requests.Response) -> Submitted:
    try:
        first = answer.json()[0]
        request_id, token = first.get("service_request_id"), first.get("token")
    except (ValueError, LookupError, TypeError, AttributeError):
        request_id = token = None
    if request_id is None and token is None:
        # Taken, perhaps, but unreadable: sending again might file it twice.
        return Submitted("", Outcome.FAILED, error="answer without service_request_id or token")
    return Submitted(
        "",
        Outcome.SENT,
        service_request_id=None if request_id is None else str(request_id),
        request_token=None if token is None else str(token),
    )


def make_client(config: Mapping[str, Any]) -> Open311Client:
    return Open311Client(
        parse_open311(config.get("GSV_OPEN311")), timeout_s=config["GSV_OPEN311_TIMEOUT_S"]
    )


# --- the dispatcher's side ------------------------------------------------------------------


def load_jobs(rows: Sequence[Any]) -> list[Job]:
    """The forwards of claimed rows (``delivery_id``, ``tip_forward_id``), read in the
    dispatcher's session before it sends."""
    ids = [r.tip_forward_id for r in rows if r.tip_forward_id is not None]
    if not ids:  # a batch of pushes: no round trip on a tip's way to its first push
        return []
    found = {f.id: f for f in db.session.scalars(select(TipForward).where(TipForward.id.in_(ids)))}
    return [
        Job(
            r.delivery_id,
            found[r.tip_forward_id].municipality_code,
            found[r.tip_forward_id].payload,
        )
        for r in rows
        if r.tip_forward_id in found
    ]


def send_jobs(
    client: Open311Client, rows: Sequence[Any], jobs: Sequence[Job], *, budget_s: float
) -> dict[int, TokenResult]:
    """POST each job; once ``budget_s`` has passed, the rest wait for a later pass ("not
    tried", as e-mails after a lost connection), so that slow servers never keep a batch
    past its lease, which would let another dispatcher send it again."""
    results: dict[int, TokenResult] = {
        r.delivery_id: TokenResult("", Outcome.FAILED, error="forward deleted") for r in rows
    }
    deadline = time.monotonic() + budget_s
    for job in jobs:
        if time.monotonic() >= deadline:
            results[job.delivery_id] = TokenResult("", Outcome.RETRY, error="not tried")
        else:
            results[job.delivery_id] = client.submit(job)
    return results


def record_outcomes(outcomes: Sequence[tuple[int, TokenResult, str]], *, now: datetime) -> None:
    """Copy each held row's outcome to its forward (in the dispatcher's record transaction):
    ``(tip_forward_id, result, the delivery's state after it)``."""
    for forward_id, result, state in outcomes:
        forward = db.session.get(TipForward, forward_id)
        if forward is None:
            continue
        forward.last_error = result.error
        if isinstance(result, Submitted) and result.outcome is Outcome.SENT:
            forward.state = "submitted"
            forward.service_request_id = result.service_request_id
            forward.token = result.request_token
            forward.municipality_status = "open"
        elif state != "pending":
            forward.state = "failed"
        forward.updated_at = now
