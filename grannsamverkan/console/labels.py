"""Words the console shows for stored values (statuses, roles, kinds), in the user's language.

Tip categories come from ``grannsamverkan.texts`` (the same words the push messages use)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grannsamverkan import texts
from grannsamverkan.geo.municipalities import municipality

TIP_STATUS = {
    "pending": _l("Waiting for moderation"),
    "open": _l("Open"),
    "investigating": _l("Being investigated"),
    "closed": _l("Closed"),
    "rejected": _l("Rejected"),
    "false_alarm": _l("False alarm"),
}

# A tip's alert, as the tip page tells it (models.alert.ALERT_STATUSES).
ALERT_STATUS = {
    "active": _l("Sent to the phones"),
    "updated": _l("Updated"),
    "cancelled": _l("Cancelled"),
    "resolved": _l("Resolved: the phones that got it were told"),
    "withdrawn": _l("Withdrawn: the phones that got it were told"),
}

MEMBERSHIP_STATUS = {
    "pending": _l("Asked to join"),
    "active": _l("Member"),
    "removed": _l("Removed"),
}

MEMBERSHIP_ROLE = {
    "member": _l("Member"),
    "contact_person": _l("Contact person"),
}

BROADCAST_KIND = {
    "fraud_warning": _l("Fraud warning"),
    "notice": _l("Notice"),
    "training_event": _l("Training event"),
}

BROADCAST_SEVERITY = {
    "minor": _l("Minor"),
    "moderate": _l("Moderate"),
    "severe": _l("Severe"),
}

TRAFFIC_KIND = {
    "speeding": _l("Speeding"),
    "moped": _l("Mopeds"),
    "a_traktor": _l("A-traktor (EPA)"),
    "reckless_driving": _l("Reckless driving"),
    "parking": _l("Parking"),
    "other": _l("Other traffic"),
}

TIME_OF_DAY = {
    "night": _l("Night (00–06)"),
    "morning": _l("Morning (06–10)"),
    "day": _l("Daytime (10–18)"),
    "evening": _l("Evening (18–24)"),
}

LOCALE_NAMES = {"sv": "Svenska", "en": "English"}


def label(words: dict[str, object], value: str | None) -> str:
    """The word for ``value``, or the value itself if the table has none."""
    if value is None:
        return ""
    return str(words.get(value, value))


def category(value: str) -> str:
    return texts.category_label(value, str(get_locale() or "sv"))


def municipality_label(code: str) -> str:
    """ "Vimmerby kommun (0884)"; "municipality 9999" for a code that names none."""
    found = municipality(code)
    return f"{found.official_name} ({code})" if found else _("municipality %(code)s", code=code)


def municipalities_label(codes: Iterable[str]) -> str:
    """ "Vimmerby kommun (0884), Västervik kommun (0883)": each as municipality_label."""
    return ", ".join(municipality_label(code) for code in codes)
