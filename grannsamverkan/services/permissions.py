"""Who may do what to which object. Views and services ask these, never role strings."""

from __future__ import annotations

from grannsamverkan.models import Area, Membership, User


def is_admin(user: User) -> bool:
    return user.role == "admin"


def serves_municipality(user: User, municipality_code: str) -> bool:
    """Police act only in the municipalities they serve; admins everywhere."""
    if is_admin(user):
        return True
    return user.role == "police" and municipality_code in (user.municipality_codes or [])


def membership_of(user: User, area: Area) -> Membership | None:
    for membership in user.memberships:
        if membership.area_id == area.id:
            return membership
    return None


def is_active_member(user: User, area: Area) -> bool:
    membership = membership_of(user, area)
    return membership is not None and membership.status == "active"


def is_contact_person(user: User, area: Area) -> bool:
    membership = membership_of(user, area)
    return (
        membership is not None
        and membership.status == "active"
        and membership.role == "contact_person"
    )


def can_police_area(user: User, area: Area) -> bool:
    return serves_municipality(user, area.municipality_code)


def can_manage_area(user: User, area: Area) -> bool:
    """Change the area's settings and see its households."""
    return can_police_area(user, area) or is_contact_person(user, area)


def can_invite_to_area(user: User, area: Area) -> bool:
    """Invitations come from the area's own contact persons (police appoint by PUT instead)."""
    return is_contact_person(user, area)


def knows_area_members(user: User, area: Area) -> bool:
    """May learn that the area's member list exists (else such routes answer 404)."""
    return can_police_area(user, area) or membership_of(user, area) is not None


def can_manage_help_resources(user: User, municipality_code: str | None) -> bool:
    """National help resources are the admins'; a municipality's are its police's."""
    if municipality_code is None:
        return is_admin(user)
    return serves_municipality(user, municipality_code)


def works_as_police(user: User) -> bool:
    """Police and admins: the console's police pages (broadcasts, events, statistics)."""
    return user.role == "police" or is_admin(user)


def is_any_contact_person(user: User) -> bool:
    return any(m.status == "active" and m.role == "contact_person" for m in user.memberships)


def uses_console(user: User) -> bool:
    """The web console is for police and contact persons; residents use the phone app."""
    return works_as_police(user) or is_any_contact_person(user)
