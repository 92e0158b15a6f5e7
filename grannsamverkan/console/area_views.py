"""Display-ready values for the area pages (console/areas.py): rows, the map's data, the
member lists with the buttons the viewer may use. Templates only print these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from flask import url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from grannsamverkan.console import labels
from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Invitation, Membership, User
from grannsamverkan.services import invitations as invitation_service
from grannsamverkan.services import permissions


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class NewAreaForm:
    """The new-area form's values; ``municipalities`` is None for admins (any code)."""

    values: MultiDict[str, str]
    municipalities: list[Choice] | None


@dataclass(frozen=True)
class HouseholdForm:
    """The form for a household without a smartphone: its values and choices."""

    values: MultiDict[str, str]
    channels: list[Choice]
    consent_methods: list[Choice]


@dataclass(frozen=True)
class AreaSummary:
    id: int
    name: str
    municipality: str
    households: int
    moderation: str


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    warning: bool = False


@dataclass(frozen=True)
class MemberRow:
    user_id: int
    name: str
    email: str
    address: str
    role: str
    status: str
    since: datetime
    actions: list[Action] = field(default_factory=list)
    household: bool = False


@dataclass(frozen=True)
class MemberSections:
    join_requests: list[MemberRow]
    members: list[MemberRow]
    removed: list[MemberRow]


def new_area_form(municipalities: list[str] | None, values: MultiDict[str, str]) -> NewAreaForm:
    chosen = values.get("municipality_code", "")
    choices = (
        None
        if municipalities is None
        else [Choice(code, code, code == chosen) for code in municipalities]
    )
    return NewAreaForm(values, choices)


def household_form(
    viewer: User, area: Area, values: MultiDict[str, str] | None
) -> HouseholdForm | None:
    """The household form for those who may register households here, else None."""
    if not permissions.can_register_households(viewer, area):
        return None
    values = values or MultiDict({"household_channels": "sms"})
    chosen = values.getlist("household_channels")
    method = values.get("household_consent_method", "")
    return HouseholdForm(
        values,
        [
            Choice("sms", _("Text message (SMS)"), "sms" in chosen),
            Choice("email", _("E-mail"), "email" in chosen),
        ],
        [
            Choice("written", _("In writing"), method == "written"),
            Choice("verbal", _("Verbally, in person"), method == "verbal"),
            Choice("by_phone", _("By phone"), method == "by_phone"),
        ],
    )


def moderation_label(area: Area) -> str:
    return _("Tips wait for a contact person") if area.tip_moderation else _("Tips go out at once")


def area_row(area: Area, waiting: int) -> list[Any]:
    """The area as cells of the macros' table."""
    return [
        {"text": area.name, "href": url_for("console.areas.detail", area_id=area.id)},
        area.municipality_code,
        {"text": area.active_households, "numeric": True},
        {"text": waiting, "numeric": True},
        moderation_label(area),
    ]


def map_area(area: Area) -> dict[str, Any]:
    """What the map draws of an area the viewer manages: its exact centre and boundary."""
    return {
        "name": area.name,
        "href": url_for("console.areas.detail", area_id=area.id),
        "center": [area.center_lat, area.center_lon],
        "boundary": area.boundary,
    }


def area_summary(area: Area) -> AreaSummary:
    return AreaSummary(
        id=area.id,
        name=area.name,
        municipality=area.municipality_code,
        households=area.active_households,
        moderation=moderation_label(area),
    )


def member_sections(viewer: User, area: Area, memberships: list[Membership]) -> MemberSections:
    """The area's households by status, each with the buttons ``viewer`` may use on it."""
    rows: dict[str, list[MemberRow]] = {"pending": [], "active": [], "removed": []}
    for membership in memberships:
        rows[membership.status].append(_member_row(membership, _actions(viewer, membership)))
    return MemberSections(rows["pending"], rows["active"], rows["removed"])


def _actions(viewer: User, membership: Membership) -> list[Action]:
    """Police decide on anyone; contact persons on ordinary members' status only."""
    area = membership.area
    police = permissions.can_police_area(viewer, area)
    if not police and not (
        permissions.is_contact_person(viewer, area)
        and permissions.contact_person_may_set(membership, None)
    ):
        return []
    if membership.status == "pending":
        return [Action("approve", _("Approve")), Action("decline", _("Decline"), warning=True)]
    if membership.status == "removed":
        return [Action("approve", _("Take back"))]
    if membership.user.is_household:  # no account: removing it erases it (console/areas.py)
        return [Action("remove", _("Remove"), warning=True)]
    actions = []
    if police and permissions.is_ordinary_member(membership):
        actions.append(Action("appoint", _("Make contact person")))
    elif police:
        actions.append(Action("demote", _("Make ordinary member")))
    actions.append(Action("remove", _("Remove"), warning=True))
    return actions


def _member_row(membership: Membership, actions: list[Action]) -> MemberRow:
    person = membership.user
    return MemberRow(
        user_id=person.id,
        name=person.name,
        email=person.email or "",
        address=person.home_address or "",
        role=labels.label(labels.MEMBERSHIP_ROLE, membership.role),
        status=labels.label(labels.MEMBERSHIP_STATUS, membership.status),
        since=membership.updated_at or membership.created_at,
        actions=actions,
        household=person.is_household,
    )


def decision_message(action: str, name: str) -> str:
    messages = {
        "approve": _("%(name)s is now a member.", name=name),
        "decline": _("The join request of %(name)s is declined.", name=name),
        "remove": _("%(name)s is removed from the area.", name=name),
        "appoint": _("%(name)s is now a contact person.", name=name),
        "demote": _("%(name)s is now an ordinary member.", name=name),
    }
    return messages[action]


@dataclass(frozen=True)
class InvitationRow:
    """One line of the area page's list of invitations."""

    id: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    state_label: str
    link_page: str | None
    may_revoke: bool


def invitation_rows(user: User, area: Area, *, limit: int = 20) -> list[InvitationRow]:
    """The area's latest invitations for its page: whether each was used, and for open ones
    the way to its link (for those who invite) and to revoking it (contact persons, police)."""
    labels = {
        "open": _("Not used yet"),
        "used": _("Used"),
        "revoked": _("Revoked"),
        "expired": _("Expired"),
    }
    may_invite = permissions.can_invite_to_area(user, area)
    query = invitation_service.invitations_query(area).limit(limit)
    rows = []
    for invitation in cast(list[Invitation], db.session.scalars(query).all()):
        state = invitation.state
        link_page = None
        if state == "open" and may_invite:
            token = invitation_service.token_of(invitation)
            link_page = url_for("console.invitations.show", area_id=area.id, token=token)
        rows.append(
            InvitationRow(
                invitation.id,
                invitation.created_at,
                invitation.expires_at,
                invitation.used_at,
                labels[state],
                link_page,
                state == "open",
            )
        )
    return rows
