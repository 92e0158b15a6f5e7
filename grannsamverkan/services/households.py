"""Households without a smartphone: registered in an area by its contact person (or police)
with the resident's consent, reached by SMS and/or e-mail, removed on request.

A household is a ``User`` that cannot sign in (no password, perhaps no e-mail address) with
an active membership of the area: routing, memberships and area statistics count it like
any other household, and ``channels`` say how alerts reach it.
"""

from __future__ import annotations

from datetime import date
from typing import NotRequired, TypedDict, Unpack

from sqlalchemy import select

from grannsamverkan.errors import N_, Invalid, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Membership, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.models.user import ALERT_CHANNELS
from grannsamverkan.services import accounts
from grannsamverkan.services.local_time import LOCAL_TIME

EMAIL_TAKEN = N_(
    "An account with this e-mail address exists; the resident can join the area with it."
)
CONSENT_IN_FUTURE = N_("Consent cannot be given on a day still to come.")


class NewHousehold(TypedDict):
    """As HouseholdCreateSchema loads it, with the home already geocoded if need be."""

    name: str
    channels: list[str]
    lat: float
    lon: float
    consent_given_on: date
    consent_method: str
    phone: NotRequired[str | None]
    email: NotRequired[str | None]
    address: NotRequired[str | None]
    locale: NotRequired[str]


def register_household(*, actor: User, area: Area, **household: Unpack[NewHousehold]) -> User:
    """Store the household and make it an active member of ``area``; the caller may
    (permissions.can_register_households). Invalid (422) on the field at fault."""
    if household["consent_given_on"] > utcnow().astimezone(LOCAL_TIME).date():
        raise Invalid("consent.given_on", CONSENT_IN_FUTURE)
    email = household.get("email")
    if email and accounts.find_user_by_email(email) is not None:
        raise Invalid("email", EMAIL_TAKEN)
    user = User(
        email=accounts.normalise_email(email) if email else None,
        password_hash=None,
        name=household["name"].strip(),
        role="resident",
        locale=household.get("locale", "sv"),
        channels=[c for c in ALERT_CHANNELS if c in household["channels"]],
        phone=household.get("phone"),
        registered_by_id=actor.id,
        consent_given_on=household["consent_given_on"],
        consent_method=household["consent_method"],
    )
    db.session.add(user)
    db.session.flush()
    field = "home.lat" if household.get("address") is None else "home.address"
    try:
        accounts.set_home(
            user, lat=household["lat"], lon=household["lon"], address=household.get("address")
        )
    except Invalid as error:
        raise Invalid(field, error.detail) from None
    db.session.add(
        Membership(area=area, user=user, role="member", status="active", decided_by_id=actor.id)
    )
    db.session.flush()
    return user


def find_household(area: Area, user_id: int) -> User:
    """A household registered in ``area`` (NotFound for anyone else: a member with an
    account leaves or is removed through the membership routes)."""
    user = db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.id == user_id,
            User.consent_given_on.is_not(None),
            Membership.area_id == area.id,
        )
    )
    if user is None:
        raise NotFound("No such household in this area.")
    return user


def remove_household(user: User) -> None:
    """Erase the household on the resident's request: the account, its home, number and
    address, its membership; delivery records stay as counts without the number."""
    accounts.delete_account(user)
