"""Who may do what to which object: the one home of access rules and of role names.

Views load an object (404 when it is absent or the caller must not learn it exists), then
ask a predicate here (403 when it says no); services assume the check was made. The
``*_scope`` functions are the same rules as SQL conditions, for lists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from grannsamverkan.models import (
    Alert,
    Area,
    Membership,
    Tip,
    User,
)
from grannsamverkan.services import alerts

# The tip categories the municipality acts on (DESIGN.md, "Routing by tip category"): it mends
# street lights and bushes, repairs what was broken and plans the streets. Never violence in
# close relationships (police_only), whatever its category.
MUNICIPALITY_TIP_CATEGORIES = ("unsafe_place", "vandalism", "traffic")
# What of those the municipality may hand on to its own case system (Open311): places to fix.
FORWARDABLE_TIP_CATEGORIES = ("unsafe_place", "vandalism")
# What a municipality account may send: notices and training events (heart-starter courses),
# never a fraud warning, which is the police's word.
MUNICIPALITY_BROADCAST_KINDS = ("notice", "training_event")
# The roles that act in named municipalities (users.municipality_codes).
MUNICIPAL_ROLES = ("police", "municipality", "statistics")


def is_admin(user: User) -> bool:
    return user.role == "admin"


def is_police(user: User) -> bool:
    return user.role == "police"


def is_municipality(user: User) -> bool:
    """Municipality staff: unsafe places, vandalism and traffic in their municipalities."""
    return user.role == "municipality"


def is_statistician(user: User) -> bool:
    """A Lokala BRÅ member: follow-up statistics and reports of their municipalities only."""
    return user.role == "statistics"


def is_police_account() -> ColumnElement[bool]:
    """is_police as SQL: the accounts told of new tips in the municipalities they serve."""
    return User.role == "police"


def is_police_role(role: str) -> bool:
    """A police account's role: the only one that may lead its municipalities' police."""
    return role == "police"


def role_serves_municipalities(role: str) -> bool:
    """Police, municipality and statistics accounts act in named municipalities, so they need
    at least one; residents and admins have none."""
    return role in MUNICIPAL_ROLES


def served_municipalities(user: User) -> list[str] | None:
    """The municipalities the user acts in: None for admins (all), none for residents."""
    if is_admin(user):
        return None
    return list(user.municipality_codes or []) if role_serves_municipalities(user.role) else []


def _names_municipality(user: User, municipality_code: str) -> bool:
    return municipality_code in (user.municipality_codes or [])


def serves_municipality(user: User, municipality_code: str) -> bool:
    """Police act only in the municipalities they serve; admins everywhere."""
    if is_admin(user):
        return True
    return is_police(user) and _names_municipality(user, municipality_code)


def acts_for_municipality(user: User, municipality_code: str) -> bool:
    """Municipality staff of that municipality."""
    return is_municipality(user) and _names_municipality(user, municipality_code)


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


def can_register_households(user: User, area: Area) -> bool:
    """Register (and remove) households without a smartphone: the area's contact persons,
    who know them, and its police."""
    return can_manage_area(user, area)


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
    """Follow-up statistics and reports: police, municipality staff and Lokala BRÅ members
    (their municipalities), and admins. Counts only, never a person."""
    return is_admin(user) or role_serves_municipalities(user.role)


def sees_statistics_of(user: User, municipality_code: str) -> bool:
    """The statistics of one municipality: those who act in it, and admins."""
    if is_admin(user):
        return True
    return role_serves_municipalities(user.role) and _names_municipality(user, municipality_code)


def can_see_traffic_hotspots(user: User) -> bool:
    """Where traffic tips gather (a coarse grid, small cells hidden), to plan speed checks and
    street works: police, municipality staff and admins."""
    return is_admin(user) or is_police(user) or is_municipality(user)


def sees_traffic_hotspots_of(user: User, municipality_code: str) -> bool:
    return serves_municipality(user, municipality_code) or acts_for_municipality(
        user, municipality_code
    )


# --- tips ------------------------------------------------------------------------------------


def is_contact_person_for_tip(user: User, tip: Tip) -> bool:
    """A contact person of the tip's area, and the tip is theirs to see: never a tip about
    violence in close relationships (police only)."""
    return not tip.police_only and is_contact_person(user, tip.area)


def handles_tip_for_municipality(user: User, tip: Tip) -> bool:
    """Municipality staff of the tip's municipality, for the categories the municipality acts
    on, once the tip is out of moderation; never a police-only tip. They see it without its
    reporter and with the coarsened point and masked text (sees_tip_reporter,
    sees_exact_tip_point)."""
    return (
        tip.category in MUNICIPALITY_TIP_CATEGORIES
        and not tip.police_only
        and tip.status != "pending"
        and acts_for_municipality(user, tip.area.municipality_code)
    )


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
    if sees_tip_in_full(user, tip) or handles_tip_for_municipality(user, tip):
        return True
    return tip.status != "pending" and is_alerted_about(user, tip)


def can_triage_tip(user: User, tip: Tip) -> bool:
    """Set a tip's status: police of its area, and municipality staff for the tips they
    handle (handles_tip_for_municipality)."""
    return can_police_area(user, tip.area) or handles_tip_for_municipality(user, tip)


def can_write_police_note(user: User, tip: Tip) -> bool:
    """The police note is the police's: municipality staff change the status only."""
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


def can_forward_tip_to_municipality(user: User, tip: Tip) -> bool:
    """Ask for a tip to go on to the municipality's own case system (Open311): those who set
    its status (police of its area, municipality staff who handle it). Which tips may go
    (FORWARDABLE_TIP_CATEGORIES, configuration) is services/open311.py's refusal, a 409."""
    return can_triage_tip(user, tip)


def can_export_tips(user: User) -> bool:
    """The CSV export of a tip selection is for police (their municipalities) and admins."""
    return works_as_police(user)


def can_see_tip_deliveries(user: User, tip: Tip) -> bool:
    return can_police_area(user, tip.area) or is_contact_person_for_tip(user, tip)


# --- the web console -------------------------------------------------------------------------


def works_as_police(user: User) -> bool:
    """Police and admins: the console's police pages (broadcasts, events, statistics)."""
    return is_police(user) or is_admin(user)


def is_any_contact_person(user: User) -> bool:
    return any(m.status == "active" and m.role == "contact_person" for m in user.memberships)


def uses_console(user: User) -> bool:
    """The web console is for police, municipality staff, Lokala BRÅ members and contact
    persons; residents use the phone app."""
    return (
        works_as_police(user)
        or is_municipality(user)
        or is_statistician(user)
        or is_any_contact_person(user)
    )


def sees_console_areas(user: User) -> bool:
    """The console's area pages: police, admins and contact persons (areas they manage)."""
    return works_as_police(user) or is_any_contact_person(user)


def sees_console_tips(user: User) -> bool:
    """The console's tip pages: everyone who uses it but Lokala BRÅ members (numbers only)."""
    return uses_console(user) and not is_statistician(user)
