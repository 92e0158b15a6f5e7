"""The access rules of ``services/permissions.py`` as SQL conditions, for lists: the rows a
user may list are those a predicate there would admit one by one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from grannsamverkan.models import (
    Alert,
    AlertRecipient,
    Area,
    Broadcast,
    BroadcastMunicipality,
    Membership,
    Tip,
    User,
)
from grannsamverkan.services.permissions import (
    MUNICIPALITY_TIP_CATEGORIES,
    is_admin,
    is_municipality,
    is_police,
)


def tip_scope(user: User) -> ColumnElement[bool] | None:
    """Tips the user may list: their own, their contact-person areas' (not police-only
    ones), police their municipalities', municipality staff the tips they handle. None: all
    (admins). The query joins Area."""
    if is_admin(user):
        return None
    contact_areas = select(Membership.area_id).where(
        Membership.user_id == user.id,
        Membership.status == "active",
        Membership.role == "contact_person",
    )
    scopes: list[Any] = [
        Tip.reporter_id == user.id,
        and_(Tip.area_id.in_(contact_areas), Tip.police_only.is_(False)),
    ]
    if is_police(user) and user.municipality_codes:
        scopes.append(Area.municipality_code.in_(user.municipality_codes))
    if is_municipality(user) and user.municipality_codes:
        scopes.append(municipality_tip_scope(user.municipality_codes))
    return or_(*scopes)


def municipality_tip_scope(codes: list[str]) -> ColumnElement[bool]:
    """handles_tip_for_municipality as SQL (the query joins Area)."""
    return and_(
        Area.municipality_code.in_(codes),
        Tip.category.in_(MUNICIPALITY_TIP_CATEGORIES),
        Tip.police_only.is_(False),
        Tip.status != "pending",
    )


def broadcast_scope(user: User) -> ColumnElement[bool] | None:
    """Broadcasts the user may list: those that reached them; police and municipality staff
    also their own and their municipalities'. None: all (admins)."""
    if is_admin(user):
        return None
    targeted = (
        select(Alert.broadcast_id)
        .join(AlertRecipient, AlertRecipient.alert_id == Alert.id)
        .where(AlertRecipient.user_id == user.id, Alert.broadcast_id.is_not(None))
    )
    scopes: list[Any] = [Broadcast.id.in_(targeted)]
    if is_police(user) or is_municipality(user):
        scopes.append(Broadcast.author_id == user.id)
        if user.municipality_codes:
            in_municipalities = select(BroadcastMunicipality.broadcast_id).where(
                BroadcastMunicipality.municipality_code.in_(user.municipality_codes)
            )
            scopes.append(Broadcast.id.in_(in_municipalities))
    return or_(*scopes)


def managed_area_ids(user: User) -> Select[int]:
    """The ids of the areas ``user`` manages: can_manage_area as SQL, for lists."""
    query = select(Area.id)
    if is_admin(user):
        return query
    contact_areas = select(Membership.area_id).where(
        Membership.user_id == user.id,
        Membership.status == "active",
        Membership.role == "contact_person",
    )
    policed = (
        Area.municipality_code.in_(user.municipality_codes)
        if is_police(user) and user.municipality_codes
        else false()
    )
    return query.where(or_(policed, Area.id.in_(contact_areas)))
