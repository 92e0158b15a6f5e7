"""A small map of Vimmerby: areas, and homes at measured distances from a tip's spot."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from geopy.distance import geodesic

from grannsamverkan.extensions import db
from grannsamverkan.models import Device
from grannsamverkan.services.routing import LOCAL_TIME

# Where the tips in these tests happen: Storgatan, Vimmerby.
SPOT = (57.6663, 15.8557)
# Another Vimmerby neighbourhood, 1.6 km north-west, with its own area.
NAS = (57.6745, 15.8425)


def offset(origin: tuple[float, float], metres: float, bearing: float = 90) -> tuple[float, float]:
    """The point ``metres`` from ``origin`` on ``bearing`` (degrees), on the WGS84 ellipsoid."""
    point = geodesic(meters=metres).destination(origin, bearing)
    return (point.latitude, point.longitude)


def quiet_hours_around_now() -> tuple[str, str]:
    now = datetime.now(LOCAL_TIME)
    return (
        (now - timedelta(hours=1)).strftime("%H:%M"),
        (now + timedelta(hours=1)).strftime("%H:%M"),
    )


def quiet_hours_not_now() -> tuple[str, str]:
    now = datetime.now(LOCAL_TIME)
    return (
        (now + timedelta(hours=2)).strftime("%H:%M"),
        (now + timedelta(hours=3)).strftime("%H:%M"),
    )


@pytest.fixture
def add_device(app: Any) -> Any:
    def add(actor: Any, token: str, *, platform: str = "android", age_days: int = 0) -> None:
        with app.app_context():
            seen = datetime.now().astimezone() - timedelta(days=age_days)
            db.session.add(
                Device(user_id=actor.id, token=token, platform=platform, last_seen_at=seen)
            )
            db.session.commit()

    return add


@pytest.fixture
def post_tip(client: Any) -> Any:
    def post(actor: Any, category: str = "burglary", *, at=SPOT, status=201, **extra: Any) -> Any:
        body = {
            "category": category,
            "description": extra.pop("description", "Someone broke a window at the back."),
            "location": {"lat": at[0], "lon": at[1]},
            **extra,
        }
        response = client.post("/api/v1/tips", json=body, headers=actor.headers)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    return post
