"""``GSV_OPEN311``: the municipalities' Open311 (GeoReport v2) servers, parsed and checked at
start-up (README "Open311 forwarding")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Open311Endpoint:
    """One municipality's Open311 GeoReport v2 server (README "Open311 forwarding")."""

    endpoint: str  # the base URL: requests.json and requests/{id}.json are under it
    api_key: str | None
    jurisdiction_id: str | None
    service_codes: dict[str, str]  # tip category -> the municipality's service_code
    auto_forward: bool = False
    # Servers that require a requester's e-mail get this one (the deployment's own mailbox),
    # never the reporter's.
    email: str | None = None


def parse_open311(configured: str | None) -> dict[str, Open311Endpoint]:
    """GSV_OPEN311: a JSON object by municipality code, or ``@path`` to a file holding one.
    Refuses anything malformed, so a typo fails at start-up rather than at the first tip."""
    if not configured:
        return {}
    text = Path(configured[1:]).read_text() if configured.startswith("@") else configured
    try:
        raw = json.loads(text)
        return {code: _open311_endpoint(code, entry) for code, entry in raw.items()}
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        raise ValueError(f"GSV_OPEN311 is not valid: {error}") from error


def _open311_endpoint(code: str, entry: dict[str, Any]) -> Open311Endpoint:
    endpoint = entry["endpoint"]
    if not (len(code) == 4 and code.isdigit()):
        raise ValueError(f"{code!r} is not a municipality code")
    if urlsplit(endpoint).scheme not in ("http", "https"):
        raise ValueError(f"{code}: endpoint must be an http(s) URL")
    codes = entry.get("service_codes", {})
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in codes.items()):
        raise ValueError(f"{code}: service_codes maps categories to non-empty strings")
    return Open311Endpoint(
        endpoint=endpoint.rstrip("/") + "/",
        api_key=entry.get("api_key"),
        jurisdiction_id=entry.get("jurisdiction_id"),
        service_codes=dict(codes),
        auto_forward=bool(entry.get("auto_forward", False)),
        email=entry.get("email"),
    )
