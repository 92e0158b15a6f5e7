"""Who may do what to which object: the one home of access rules and of role names.

Views load an object (404 when it is absent or the caller must not learn it exists), then
ask a predicate here (403 when it says no); services assume the check was made. The
``*_scope`` functions are the same rules as SQL conditions, for lists.
"""

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
from grannsamverkan.services import alerts


def is_admin(user: User) -> bool:
    return user.role == "admin"


def is_police(user: User) -> bool:
    return role_serves_municipalities(user.role)


def role_serves_municipalities(role: str) -> bool:
    """Police accounts act in the municipalities they serve, so they need at least one."""
    return role == "police"


def served_municipalities(user: User) -> list[str] | None:
    """The municipalities the user acts in: None for admins (all), none for residents."""
    if is_admin(user):
        return None
    return list(user.municipality_codes or []) if is_police(user) else []


def serves_municipality(user: User, municipality_code: str) -> bool:
    """Police act only in the municipalities they serve; admins everywhere."""
    if is_admin(user):
        return True
    return is_police(user) and municipality_code in (user.municipality_codes or [])


def membership_of(user: User, area: Area) -> Membership | None:
    for membership in user.memberships:
        if membership.area_id == area.id:
            return membership
    return None


def is_contact_person(user: User, area: Area) -> bool:
    membership = membership_of(user, area)
    return (
        membership is not None
        and membership.status == "active"
        and membership.role == "contact_person"
    )


def is_active_member_anywhere(user: User) -> bool:
    return any(m.status == "active" for m in user.memberships)


def can_send_tips(user: User) -> bool:
    """Tips come from active members of an area."""
    return is_active_member_anywhere(user)


def can_police_area(user: User, area: Area) -> bool:
    return serves_municipality(user, area.municipality_code)


def can_manage_area(user: User, area: Area) -> bool:
    """Change the area's settings and see its households."""
    return can_police_area(user, area) or is_contact_person(user, area)


def can_invite_to_area(user: User, area: Area) -> bool:
    """Invitations come from the area's own contact persons (police appoint by PUT instead)."""
    return is_contact_person(user, area)


def is_ordinary_member(membership: Membership) -> bool:
    return membership.role == "member"


def contact_person_may_set(membership: Membership, role: str | None) -> bool:
    """Contact persons change only the status of ordinary members, never a role."""
    return is_ordinary_member(membership) and role in (None, membership.role)


def may_remove_without_limits(actor: User, area: Area, user_id: int) -> bool:
    """Anyone may leave; police of the area may remove anyone from it."""
    return actor.id == user_id or can_police_area(actor, area)


def knows_area_members(user: User, area: Area) -> bool:
    """May learn that the area's member list exists (else such routes answer 404)."""
    return can_police_area(user, area) or membership_of(user, area) is not None


def can_manage_help_resources(user: User, municipality_code: str | None) -> bool:
    """National help resources are the admins'; a municipality's are its police's."""
    if municipality_code is None:
        return is_admin(user)
    return serves_municipality(user, municipality_code)


# --- the audit trail ------------------------------------------------------------------------


def is_police_lead(user: User) -> bool:
    """The lead of the police in the municipalities they serve (``police_lead``)."""
    return is_police(user) and bool(user.police_lead)


def acting_role(user: User | None, area: Area | None) -> str:
    """The capacity an audited action was done in: ``operator`` (the command line), the
    account's role, or ``contact_person`` for a resident who is one of the area concerned."""
    if user is None:
        return "operator"
    if user.role == "resident" and area is not None and is_contact_person(user, area):
        return "contact_person"
    return user.role


def can_read_audit(user: User) -> bool:
    """The audit trail: admins all of it, police leads their municipalities' share
    (services/audit.py's audit_scope)."""
    return is_admin(user) or is_police_lead(user)


# --- statistics ------------------------------------------------------------------------------


def can_see_statistics(user: User) -> bool:
    """Follow-up statistics are for police (their municipalities) and admins."""
    return is_police(user) or is_admin(user)


# --- tips ------------------------------------------------------------------------------------


def is_contact_person_for_tip(user: User, tip: Tip) -> bool:
    """A contact person of the tip's area, and the tip is theirs to see: never a tip about
    violence in close relationships (police only)."""
    return not tip.police_only and is_contact_person(user, tip.area)


def sees_tip_in_full(user: User, tip: Tip) -> bool:
    """The reporter, the area's contact persons and its police see the tip unmasked (the
    point and the reporter as sees_exact_tip_point and sees_tip_reporter allow)."""
    return (
        tip.reporter_id == user.id
        or can_police_area(user, tip.area)
        or is_contact_person_for_tip(user, tip)
    )


def is_alerted_about(user: User, tip: Tip) -> bool:
    return alerts.has_received(user, Alert.tip_id == tip.id)


def can_see_tip(user: User, tip: Tip) -> bool:
    """In full (sees_tip_in_full), or masked by the members it alerted once it is out of
    moderation."""
    if sees_tip_in_full(user, tip):
        return True
    return tip.status != "pending" and is_alerted_about(user, tip)


def can_triage_tip(user: User, tip: Tip) -> bool:
    """Set a tip's status and police note: police of its area."""
    return can_police_area(user, tip.area)


def can_moderate_tip(user: User, tip: Tip) -> bool:
    """Approve or reject a tip waiting for moderation: the area's contact persons and its
    police (who may be the only ones at a desk on a Monday morning)."""
    return is_contact_person_for_tip(user, tip) or can_police_area(user, tip.area)


def sees_exact_tip_point(user: User, tip: Tip) -> bool:
    """The raw point, in the API and the console's maps alike: police of the area and the
    reporter; everyone else, the area's contact persons too, sees the coarsened grid cell
    (DESIGN.md: "Police see the raw point")."""
    return tip.reporter_id == user.id or can_police_area(user, tip.area)


def sees_duplicate_link(user: User, tip: Tip) -> bool:
    """Which earlier tip this one repeats (within 50 m and 30 minutes): only for those who
    see that earlier tip in full (its reporter, its area's contact persons and police), else
    a member's probe tips would pin other people's tips to 50 m."""
    first = tip.duplicate_of
    return first is not None and sees_tip_in_full(user, first)


def sees_tip_reporter(user: User, tip: Tip) -> bool:
    """Who reported a tip: police of the area and the reporter; the area's contact persons
    too, unless the reporter has a protected identity (shown to no one but police)."""
    if tip.reporter_id == user.id or can_police_area(user, tip.area):
        return True
    reporter = tip.reporter
    return (
        reporter is not None
        and not reporter.home_protected
        and is_contact_person_for_tip(user, tip)
    )


def can_export_tips(user: User) -> bool:
    """The CSV export of a tip selection is for police (their municipalities) and admins."""
    return works_as_police(user)


def can_see_tip_deliveries(user: User, tip: Tip) -> bool:
    return can_police_area(user, tip.area) or is_contact_person_for_tip(user, tip)


def tip_scope(user: User) -> ColumnElement[bool] | None:
    """Tips the user may list: their own, their contact-person areas' (not police-only
    ones), and police their municipalities'. None: all (admins). The query joins Area."""
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
    return or_(*scopes)


# --- broadcasts ------------------------------------------------------------------------------


def can_send_broadcasts(user: User) -> bool:
    return is_police(user) or is_admin(user)


def _is_author(user: User, broadcast: Broadcast) -> bool:
    return is_admin(user) or (is_police(user) and broadcast.author_id == user.id)


def is_targeted(user: User, broadcast: Broadcast) -> bool:
    """Is the user one of the broadcast's recipients (an inbox row of its alert)?"""
    return alerts.has_received(user, Alert.broadcast_id == broadcast.id)


def polices_broadcast(user: User, broadcast: Broadcast) -> bool:
    """Its author, admins, and police serving any municipality it reaches into: they see the
    reach and the raw points."""
    if _is_author(user, broadcast):
        return True
    return any(serves_municipality(user, code) for code in broadcast.municipality_codes)


def can_see_broadcast(user: User, broadcast: Broadcast) -> bool:
    return polices_broadcast(user, broadcast) or is_targeted(user, broadcast)


def can_manage_broadcast(user: User, broadcast: Broadcast) -> bool:
    """Its author, admins, and police serving every municipality it reaches into."""
    if _is_author(user, broadcast):
        return True
    codes = broadcast.municipality_codes
    return bool(codes) and all(serves_municipality(user, c) for c in codes)


def can_rsvp(user: User, broadcast: Broadcast) -> bool:
    """Only the members an event was sent to take places at it."""
    return is_targeted(user, broadcast)


def broadcast_scope(user: User) -> ColumnElement[bool] | None:
    """Broadcasts the user may list: those that reached them; police also their own and
    their municipalities'. None: all (admins)."""
    if is_admin(user):
        return None
    targeted = (
        select(Alert.broadcast_id)
        .join(AlertRecipient, AlertRecipient.alert_id == Alert.id)
        .where(AlertRecipient.user_id == user.id, Alert.broadcast_id.is_not(None))
    )
    scopes: list[Any] = [Broadcast.id.in_(targeted)]
    if is_police(user):
        scopes.append(Broadcast.author_id == user.id)
        if user.municipality_codes:
            in_municipalities = select(BroadcastMunicipality.broadcast_id).where(
                BroadcastMunicipality.municipality_code.in_(user.municipality_codes)
            )
            scopes.append(Broadcast.id.in_(in_municipalities))
    return or_(*scopes)


# --- the web console -------------------------------------------------------------------------


def works_as_police(user: User) -> bool:
    """Police and admins: the console's police pages (broadcasts, events, statistics)."""
    return is_police(user) or is_admin(user)


def is_any_contact_person(user: User) -> bool:
    return any(m.status == "active" and m.role == "contact_person" for m in user.memberships)


def uses_console(user: User) -> bool:
    """The web console is for police and contact persons; residents use the phone app."""
    return works_as_police(user) or is_any_contact_person(user)


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
