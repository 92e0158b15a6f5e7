"""An HTTP client for the Grannsamverkan API, one method per route of the contract (API.md).

It talks to a running server over real HTTP with ``requests``, as the phone app does: JSON
answers come back parsed, 204 answers as ``None``, calendar/CAP/Atom/CSV documents as text,
and every non-2xx answer raises :class:`ApiError` carrying the RFC 9457 problem body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import requests
from requests.structures import CaseInsensitiveDict

API_PREFIX = "/api/v1"
USER_AGENT = "grannsamverkan-mobile-client-stub/0.1"
JSON_TYPES = ("application/json", "application/problem+json")


class ApiError(Exception):
    """A non-2xx answer: the HTTP status and its problem+json body."""

    def __init__(
        self,
        status: int,
        body: Mapping[str, Any] | None = None,
        *,
        method: str = "",
        url: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body: dict[str, Any] = dict(body or {})
        self.method = method
        self.url = url
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(headers or {})
        self.type: str = str(self.body.get("type", "about:blank"))
        self.title: str = str(self.body.get("title", ""))
        self.detail: str = str(self.body.get("detail", self.title))
        self.errors: dict[str, Any] = dict(self.body.get("errors") or {})
        super().__init__(str(self))

    @property
    def retry_after(self) -> float | None:
        """Seconds from the Retry-After header (429), if it carries a number."""
        value = self.headers.get("Retry-After")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.url else ""
        text = f"{self.status} {self.title}: {self.detail}{where}"
        if self.errors:
            text += f" errors={json.dumps(self.errors, ensure_ascii=False)}"
        return text


def _json_default(value: Any) -> Any:
    """Encode what json cannot: datetimes and dates as ISO 8601, sets as sorted lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _point(value: Any) -> dict[str, float]:
    """{lat, lon} from a (lat, lon) pair or a mapping with lat and lon."""
    if isinstance(value, Mapping):
        return {"lat": float(value["lat"]), "lon": float(value["lon"])}
    lat, lon = value
    return {"lat": float(lat), "lon": float(lon)}


def _near(value: Any) -> str | None:
    """The ``near=lat,lon`` query value from a string or a (lat, lon) pair."""
    if value is None or isinstance(value, str):
        return value
    point = _point(value)
    return f"{point['lat']},{point['lon']}"


def _segment(value: Any) -> str:
    """One path segment, percent-encoded (device tokens may hold '/' or ':')."""
    return quote(str(value), safe="")


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class GrannsamverkanClient:
    """The phone app's view of the API: a requests.Session and the caller's access token."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 10) -> None:
        root = base_url.rstrip("/")
        # Accept both "http://host:port" and "http://host:port/api/v1".
        if root.endswith(API_PREFIX):
            root = root[: -len(API_PREFIX)]
        self.root_url = root
        self.api_url = root + API_PREFIX
        self.token = token
        self.timeout = timeout
        self.session = requests.Session()
        # The stub speaks English: the API's error texts are Swedish unless asked otherwise.
        self.session.headers.update(
            {"User-Agent": USER_AGENT, "Accept": "application/json", "Accept-Language": "en"}
        )

    # --- plumbing -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP session's pooled connections."""
        self.session.close()

    def __enter__(self) -> GrannsamverkanClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        signed_in = "signed in" if self.token else "anonymous"
        return f"<GrannsamverkanClient {self.api_url} {signed_in}>"

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        api: bool = True,
        auth: bool = True,
    ) -> Any:
        """Send one request; parsed JSON, text for other documents, None for 204."""
        url = (self.api_url if api else self.root_url) + path
        send_headers: dict[str, str] = dict(headers or {})
        if auth and self.token:
            send_headers["Authorization"] = f"Bearer {self.token}"
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body, default=_json_default, ensure_ascii=False).encode()
            send_headers["Content-Type"] = "application/json; charset=utf-8"
        query = _without_none(params or {})
        response = self.session.request(
            method,
            url,
            params=query or None,
            data=data,
            headers=send_headers,
            timeout=self.timeout,
        )
        if not 200 <= response.status_code < 300:
            raise self._error(method, response)
        if response.status_code == 204 or not response.content:
            return None
        if response.headers.get("Content-Type", "").split(";")[0].strip() in JSON_TYPES:
            return response.json()
        return response.text

    @staticmethod
    def _error(method: str, response: requests.Response) -> ApiError:
        body: dict[str, Any]
        try:
            parsed = response.json()
            body = parsed if isinstance(parsed, dict) else {"detail": str(parsed)}
        except ValueError:
            # Not problem+json (a proxy's error page, say): keep the start of the text.
            body = {"detail": response.text[:500] or response.reason}
        body.setdefault("title", response.reason or "")
        body.setdefault("status", response.status_code)
        return ApiError(
            response.status_code,
            body,
            method=method,
            url=response.url,
            headers=response.headers,
        )

    @staticmethod
    def _page(limit: int | None, cursor: str | None) -> dict[str, Any]:
        return {"limit": limit, "cursor": cursor}

    # --- accounts -----------------------------------------------------------------------------

    def register(
        self, email: str, password: str, name: str, locale: str | None = None
    ) -> dict[str, Any]:
        """Create a resident account (POST /auth/register)."""
        body = _without_none({"email": email, "password": password, "name": name, "locale": locale})
        return self.request("POST", "/auth/register", json_body=body, auth=False)

    def login(self, email: str, password: str) -> dict[str, Any]:
        """Sign in and keep the access token for later calls (POST /auth/login)."""
        answer = self.request(
            "POST", "/auth/login", json_body={"email": email, "password": password}, auth=False
        )
        self.token = answer["access_token"]
        return answer

    def logout(self) -> None:
        """Revoke the access token and forget it (POST /auth/logout)."""
        self.request("POST", "/auth/logout")
        self.token = None

    def me(self) -> dict[str, Any]:
        """The caller's profile, settings and memberships (GET /me)."""
        return self.request("GET", "/me")

    def update_me(self, **changes: Any) -> dict[str, Any]:
        """Change name, locale, alert_radius_m, quiet_hours (None clears) or categories."""
        return self.request("PATCH", "/me", json_body=changes)

    def set_home(
        self,
        lat: float | None = None,
        lon: float | None = None,
        address: str | None = None,
        protected: bool = False,
    ) -> dict[str, Any]:
        """Set the home by coordinates, by address, or as protected (PUT /me/home)."""
        body: dict[str, Any] = _without_none({"lat": lat, "lon": lon, "address": address})
        if protected:
            body["protected"] = True
        return self.request("PUT", "/me/home", json_body=body)

    def register_device(self, token: str, platform: str = "android") -> dict[str, Any]:
        """Register a push token for this account (POST /me/devices)."""
        return self.request("POST", "/me/devices", json_body={"token": token, "platform": platform})

    def remove_device(self, token: str) -> None:
        """Stop push to a token (DELETE /me/devices/{token})."""
        self.request("DELETE", f"/me/devices/{_segment(token)}")

    def export_me(self) -> dict[str, Any]:
        """All personal data stored about the caller (GET /me/export)."""
        return self.request("GET", "/me/export")

    def delete_me(self) -> None:
        """Erase the account and forget the token (DELETE /me)."""
        self.request("DELETE", "/me")
        self.token = None

    # --- areas and members --------------------------------------------------------------------

    def list_areas(
        self,
        municipality_code: str | None = None,
        near: str | tuple[float, float] | Mapping[str, float] | None = None,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Public area info by municipality or near a point (GET /areas)."""
        params = {"municipality_code": municipality_code, "near": _near(near)}
        return self.request("GET", "/areas", params={**params, **self._page(limit, cursor)})

    def get_area(self, area_id: int) -> dict[str, Any]:
        """One area: full for its police and contact persons (GET /areas/{id})."""
        return self.request("GET", f"/areas/{area_id}")

    def create_area(
        self,
        name: str,
        municipality_code: str,
        center: tuple[float, float] | Mapping[str, float],
        boundary: Mapping[str, Any] | None = None,
        tip_moderation: bool | None = None,
    ) -> dict[str, Any]:
        """Create a street area (police, admin) (POST /areas)."""
        body = _without_none(
            {
                "name": name,
                "municipality_code": municipality_code,
                "center": _point(center),
                "boundary": boundary,
                "tip_moderation": tip_moderation,
            }
        )
        return self.request("POST", "/areas", json_body=body)

    def update_area(self, area_id: int, **changes: Any) -> dict[str, Any]:
        """Change name, boundary or tip_moderation (PATCH /areas/{id})."""
        return self.request("PATCH", f"/areas/{area_id}", json_body=changes)

    def request_to_join(self, area_id: int) -> dict[str, Any]:
        """Ask to join an area; answers a pending membership (POST /areas/{id}/join-requests)."""
        return self.request("POST", f"/areas/{area_id}/join-requests")

    def create_invitation(self, area_id: int, email: str | None = None) -> dict[str, Any]:
        """An invitation token to pass on, valid 7 days (POST /areas/{id}/invitations)."""
        body = _without_none({"email": email})
        return self.request("POST", f"/areas/{area_id}/invitations", json_body=body)

    def accept_invitation(self, token: str) -> dict[str, Any]:
        """Accept an invitation and become an active member (POST /invitations/{t}/accept)."""
        return self.request("POST", f"/invitations/{_segment(token)}/accept")

    def list_members(
        self, area_id: int, *, limit: int | None = None, cursor: str | None = None
    ) -> dict[str, Any]:
        """The area's households (GET /areas/{id}/members)."""
        return self.request("GET", f"/areas/{area_id}/members", params=self._page(limit, cursor))

    def set_member(
        self, area_id: int, user_id: int, status: str, role: str | None = None
    ) -> dict[str, Any]:
        """Approve, remove or appoint a member (PUT /areas/{id}/members/{user_id})."""
        body = _without_none({"status": status, "role": role})
        return self.request("PUT", f"/areas/{area_id}/members/{user_id}", json_body=body)

    def remove_member(self, area_id: int, user_id: int) -> None:
        """Leave an area or remove a member (DELETE /areas/{id}/members/{user_id})."""
        self.request("DELETE", f"/areas/{area_id}/members/{user_id}")

    # --- tips and alerts ----------------------------------------------------------------------

    def send_tip(
        self,
        category: str,
        description: str,
        lat: float | None = None,
        lon: float | None = None,
        address: str | None = None,
        observed_at: datetime | str | None = None,
        vehicle: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        traffic_kind: str | None = None,
        time_of_day: str | None = None,
        share_details_with_municipality: bool = False,
    ) -> dict[str, Any]:
        """Report a tip; answers guidance and the alert sent (POST /tips). Traffic tips name
        their ``traffic_kind`` and may give a ``time_of_day``."""
        body: dict[str, Any] = {"category": category, "description": description}
        if share_details_with_municipality:
            body["share_details_with_municipality"] = True
        location = _without_none({"lat": lat, "lon": lon, "address": address})
        if location:
            body["location"] = location
        if observed_at is not None:
            body["observed_at"] = observed_at
        if vehicle is not None:
            body["vehicle"] = dict(vehicle)
        body.update(_without_none({"traffic_kind": traffic_kind, "time_of_day": time_of_day}))
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", "/tips", json_body=body, headers=headers)

    def list_tips(self, **filters: Any) -> dict[str, Any]:
        """Tips in the caller's scope; filters status, category, area_id, limit, cursor."""
        return self.request("GET", "/tips", params=filters)

    def get_tip(self, tip_id: int) -> dict[str, Any]:
        """One tip, in the view the caller is entitled to (GET /tips/{id})."""
        return self.request("GET", f"/tips/{tip_id}")

    def update_tip(self, tip_id: int, status: str, note: str | None = None) -> dict[str, Any]:
        """Police triage: status and note (PATCH /tips/{id})."""
        body = _without_none({"status": status, "note": note})
        return self.request("PATCH", f"/tips/{tip_id}", json_body=body)

    def approve_tip(self, tip_id: int) -> dict[str, Any]:
        """Approve a moderated tip; its alert goes out (POST /tips/{id}/approve)."""
        return self.request("POST", f"/tips/{tip_id}/approve")

    def reject_tip(self, tip_id: int) -> dict[str, Any]:
        """Reject a moderated tip (POST /tips/{id}/reject)."""
        return self.request("POST", f"/tips/{tip_id}/reject")

    def forward_tip(self, tip_id: int) -> dict[str, Any]:
        """Police: send the tip to the municipality's case system (POST /tips/{id}/forward)."""
        return self.request("POST", f"/tips/{tip_id}/forward")

    def tip_deliveries(self, tip_id: int) -> dict[str, Any]:
        """How the tip's pushes fared (GET /tips/{id}/deliveries)."""
        return self.request("GET", f"/tips/{tip_id}/deliveries")

    def alerts(self, *, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        """The caller's inbox, newest first (GET /alerts)."""
        return self.request("GET", "/alerts", params=self._page(limit, cursor))

    def read_alert(self, alert_id: int) -> None:
        """Mark an alert read (POST /alerts/{id}/read)."""
        self.request("POST", f"/alerts/{alert_id}/read")

    # --- broadcasts ---------------------------------------------------------------------------

    def create_broadcast(
        self, *, idempotency_key: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Police: send a warning, notice or training event (POST /broadcasts)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", "/broadcasts", json_body=fields, headers=headers)

    def list_broadcasts(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> dict[str, Any]:
        """Broadcasts that target the caller, or police's own (GET /broadcasts)."""
        return self.request("GET", "/broadcasts", params=self._page(limit, cursor))

    def get_broadcast(self, broadcast_id: int) -> dict[str, Any]:
        """One broadcast, with RSVP counts for events (GET /broadcasts/{id})."""
        return self.request("GET", f"/broadcasts/{broadcast_id}")

    def update_broadcast(self, broadcast_id: int, **changes: Any) -> dict[str, Any]:
        """Police: change a broadcast; phones are told (PATCH /broadcasts/{id})."""
        return self.request("PATCH", f"/broadcasts/{broadcast_id}", json_body=changes)

    def cancel_broadcast(self, broadcast_id: int) -> dict[str, Any]:
        """Police: cancel a broadcast; phones are told (POST /broadcasts/{id}/cancel)."""
        return self.request("POST", f"/broadcasts/{broadcast_id}/cancel")

    def rsvp(self, broadcast_id: int) -> dict[str, Any]:
        """Sign up for an event: confirmed or waitlisted (POST /broadcasts/{id}/rsvp)."""
        return self.request("POST", f"/broadcasts/{broadcast_id}/rsvp")

    def cancel_rsvp(self, broadcast_id: int) -> None:
        """Withdraw from an event (DELETE /broadcasts/{id}/rsvp)."""
        self.request("DELETE", f"/broadcasts/{broadcast_id}/rsvp")

    def event_ics(self, broadcast_id: int) -> str:
        """The event as an iCalendar document (GET /broadcasts/{id}/event.ics)."""
        return self._text(f"/broadcasts/{broadcast_id}/event.ics", "text/calendar")

    def cap_xml(self, broadcast_id: int) -> str:
        """A fraud warning as a CAP 1.2 document (GET /broadcasts/{id}/cap.xml)."""
        return self._text(f"/broadcasts/{broadcast_id}/cap.xml", "application/cap+xml")

    def warnings_atom(self, municipality_code: str | None = None) -> str:
        """The Atom feed of active warnings (GET /feeds/warnings.atom)."""
        return self._text(
            "/feeds/warnings.atom",
            "application/atom+xml",
            params={"municipality_code": municipality_code},
        )

    def police_events(
        self, municipality_code: str, *, limit: int | None = None, cursor: str | None = None
    ) -> dict[str, Any]:
        """The police's public events of a municipality, newest first (GET /police-events)."""
        params = {"municipality_code": municipality_code, **self._page(limit, cursor)}
        return self.request("GET", "/police-events", params=params)

    def police_events_atom(self, municipality_code: str) -> str:
        """The same as an Atom feed (GET /feeds/police-events.atom)."""
        return self._text(
            "/feeds/police-events.atom",
            "application/atom+xml",
            params={"municipality_code": municipality_code},
        )

    def _text(self, path: str, accept: str, params: Mapping[str, Any] | None = None) -> str:
        answer = self.request("GET", path, params=params, headers={"Accept": accept})
        return answer if isinstance(answer, str) else json.dumps(answer)

    # --- follow-up and help -------------------------------------------------------------------

    def stats_tips(self, **params: Any) -> Any:
        """Tip counts (GET /stats/tips): from_/to, group_by (str or list), format="csv" → text."""
        query = dict(params)
        if "from_" in query:
            query["from"] = query.pop("from_")
        group_by = query.get("group_by")
        if group_by is not None and not isinstance(group_by, str):
            query["group_by"] = ",".join(group_by)
        for key in ("from", "to"):
            if isinstance(query.get(key), date):
                query[key] = query[key].isoformat()
        headers = {"Accept": "text/csv"} if query.get("format") == "csv" else None
        return self.request("GET", "/stats/tips", params=query, headers=headers)

    def stats_areas(self) -> dict[str, Any]:
        """Households, delivery and read rates per area (GET /stats/areas)."""
        return self.request("GET", "/stats/areas")

    def help_resources(self, **params: Any) -> dict[str, Any]:
        """Help lines and services; municipality_code, topic (GET /help-resources)."""
        return self.request("GET", "/help-resources", params=params)

    def create_help_resource(self, **fields: Any) -> dict[str, Any]:
        """Police, admin: add a help resource (POST /help-resources)."""
        return self.request("POST", "/help-resources", json_body=fields)

    def update_help_resource(self, resource_id: int, **changes: Any) -> dict[str, Any]:
        """Police, admin: change a help resource (PATCH /help-resources/{id})."""
        return self.request("PATCH", f"/help-resources/{resource_id}", json_body=changes)

    def delete_help_resource(self, resource_id: int) -> None:
        """Police, admin: remove a help resource (DELETE /help-resources/{id})."""
        self.request("DELETE", f"/help-resources/{resource_id}")

    # --- service ------------------------------------------------------------------------------

    def healthz(self) -> dict[str, Any]:
        """Liveness: {"status": "ok"} when the database is reachable (GET /healthz)."""
        return self.request("GET", "/healthz", api=False, auth=False)

    def openapi(self) -> dict[str, Any]:
        """The server's OpenAPI 3 document (GET /api/v1/openapi.json)."""
        return self.request("GET", "/openapi.json", auth=False)


def iter_pages(method: Callable[..., Mapping[str, Any]], **kwargs: Any) -> Iterator[Any]:
    """Every item of a list route, following ``next_cursor`` page by page."""
    cursor = kwargs.pop("cursor", None)
    while True:
        page = method(**kwargs, cursor=cursor)
        yield from page.get("items", [])
        cursor = page.get("next_cursor")
        if not cursor:
            return
