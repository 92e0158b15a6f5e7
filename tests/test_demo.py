"""``flask seed-demo``: the Vimmerby data set, with tips that went through the real routing."""

from __future__ import annotations

from sqlalchemy import func, select

from grannsamverkan.demo import AREAS, DEMO_PASSWORD, DEMO_TIPS, PHONES_PER_AREA, POLICE_EMAIL
from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Area, Delivery, Device, Tip


def test_seed_demo_command_creates_areas_logins_and_tips(app, client):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert POLICE_EMAIL in result.output
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "already present" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Area)) == 3
        assert db.session.scalar(select(func.count()).select_from(Tip)) == len(DEMO_TIPS)
        # Burglary, suspicious vehicle and unsafe place alert someone; traffic is police-only.
        member_alerts = select(func.count()).select_from(Alert).where(Alert.kind != "notice")
        assert db.session.scalar(member_alerts) == 3
        # Police are told of each tip by a notice.
        notices = select(func.count()).select_from(Alert).where(Alert.kind == "notice")
        assert db.session.scalar(notices) == len(DEMO_TIPS)
        assert db.session.scalar(select(func.count()).select_from(AlertRecipient)) > 3
        # Demo phones: the demo's alerts wait in the outbox for them, so pushes show at once.
        phones = db.session.scalar(select(func.count()).select_from(Device))
        assert phones == PHONES_PER_AREA * len(AREAS)
        assert db.session.scalar(select(func.count()).select_from(Delivery)) > 0
    login = client.post(
        "/api/v1/auth/login", json={"email": POLICE_EMAIL, "password": DEMO_PASSWORD}
    )
    assert login.status_code == 200
    tips = client.get(
        "/api/v1/tips", headers={"Authorization": f"Bearer {login.json['access_token']}"}
    )
    assert len(tips.json["items"]) == len(DEMO_TIPS)
