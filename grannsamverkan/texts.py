"""Texts shown to people, in Swedish and English. Imports nothing from the application, so
every layer (models, services, notify, the API) may use it."""

from __future__ import annotations

CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "burglary": {"sv": "Inbrott", "en": "Burglary"},
    "attempted_burglary": {"sv": "Inbrottsförsök", "en": "Attempted burglary"},
    "suspicious_person": {"sv": "Misstänkt person", "en": "Suspicious person"},
    "suspicious_vehicle": {"sv": "Misstänkt fordon", "en": "Suspicious vehicle"},
    "suspicious_activity": {"sv": "Misstänkt aktivitet", "en": "Suspicious activity"},
    "vandalism": {"sv": "Skadegörelse", "en": "Vandalism"},
    "traffic": {"sv": "Trafik", "en": "Traffic"},
    "narcotics": {"sv": "Narkotika", "en": "Narcotics"},
    "unsafe_place": {"sv": "Otrygg plats", "en": "Unsafe place"},
}

TIP_GUIDANCE = {
    "sv": (
        "Ring 112 om ett brott pågår eller någon är i fara. Ett tips är ingen "
        "polisanmälan: anmäl brott till polisen på 114 14 eller polisen.se."
    ),
    "en": (
        "Call 112 if a crime is in progress or someone is in danger. A tip is not a police "
        "report: report crimes to the police on 114 14 or at polisen.se."
    ),
}


# The answer to a tip about violence in close relationships (services/sensitive.py). The
# numbers are the help lines' own (grannsamverkan/demo.py names the pages they were checked on).
CLOSE_RELATIONSHIP_GUIDANCE = {
    "sv": (
        "Tipset går bara till polisen, inte till grannarna. Ring 112 om någon är i fara just "
        "nu. Kvinnofridslinjen, 020-50 50 50, ger stöd dygnet runt till den som utsatts för "
        "hot eller våld och till anhöriga: samtalet är gratis och syns inte på "
        "telefonräkningen. Ett tips är ingen polisanmälan: anmäl brott på 114 14."
    ),
    "en": (
        "This tip goes to the police only, not to the neighbours. Call 112 if someone is in "
        "danger right now. Kvinnofridslinjen, 020-50 50 50, supports people subjected to "
        "threats or violence, and their relatives, day and night: the call is free and does "
        "not show on the phone bill. A tip is not a police report: report crimes on 114 14."
    ),
}


# What the reporter (and police) read about a tip forwarded to the municipality; "closed" is
# the municipality's own status of the request: it has been dealt with.
FORWARD_LABELS: dict[str, dict[str, str]] = {
    "queued": {"sv": "Skickas till kommunen", "en": "Being sent to the municipality"},
    "submitted": {"sv": "Hos kommunen", "en": "With the municipality"},
    "closed": {"sv": "Åtgärdad", "en": "Resolved"},
    "failed": {"sv": "Kunde inte skickas till kommunen", "en": "Could not be sent"},
}


def forward_label(state: str, locale: str) -> str:
    labels = FORWARD_LABELS[state]
    return labels.get(locale, labels["sv"])


def category_label(category: str, locale: str) -> str:
    labels = CATEGORY_LABELS.get(category)
    return labels.get(locale, labels["sv"]) if labels else category


def tip_guidance(locale: str) -> str:
    return TIP_GUIDANCE.get(locale, TIP_GUIDANCE["sv"])


def close_relationship_guidance(locale: str) -> str:
    return CLOSE_RELATIONSHIP_GUIDANCE.get(locale, CLOSE_RELATIONSHIP_GUIDANCE["sv"])


# Notices (services/notices.py): code → language → (title, body). {category} is the tip's
# category, {detail} the alert's stored detail (an area's name, a rejection's reason).
NOTICE_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "tip_new": {
        "sv": ("Nytt tips: {category}", "I {detail}. Läs det i konsolen."),
        "en": ("New tip: {category}", "In {detail}. Read it in the console."),
    },
    # A tip for police only (violence in close relationships): neither its category nor its
    # area passes through the push service.
    "tip_new_police_only": {
        "sv": ("Nytt tips till polisen", "Läs det i konsolen."),
        "en": ("New tip for the police", "Read it in the console."),
    },
    "tip_waiting": {
        "sv": ("Tips att granska: {category}", "I {detail}. Godkänn eller avvisa det."),
        "en": ("Tip to moderate: {category}", "In {detail}. Approve or reject it."),
    },
    "tip_escalated": {
        "sv": (
            "Ogranskat tips: {category}",
            "I {detail}. Inget kontaktombud har granskat det: polisen kan godkänna det.",
        ),
        "en": (
            "Tip not moderated: {category}",
            "In {detail}. No contact person has moderated it: police may approve it.",
        ),
    },
    "join_request": {
        "sv": ("Ny medlemsansökan", "Ett hushåll vill gå med i {detail}."),
        "en": ("New request to join", "A household asks to join {detail}."),
    },
    "tip_approved": {
        "sv": ("Ditt tips är godkänt", "{category}: tipset har gått ut."),
        "en": ("Your tip is approved", "{category}: the tip has gone out."),
    },
    "tip_rejected": {
        "sv": ("Ditt tips avvisades", "{category}. Skäl: {detail}"),
        "en": ("Your tip was rejected", "{category}. Reason: {detail}"),
    },
    "tip_rejected_no_reason": {
        "sv": ("Ditt tips avvisades", "{category}."),
        "en": ("Your tip was rejected", "{category}."),
    },
    "tip_closed": {
        "sv": ("Ditt tips är avslutat", "{category}. Tack för att du hörde av dig."),
        "en": ("Your tip is closed", "{category}. Thank you for telling us."),
    },
    "tip_false_alarm": {
        "sv": ("Ditt tips bedömdes som falsklarm", "{category}. Tack för att du hörde av dig."),
        "en": ("Your tip was found a false alarm", "{category}. Thank you for telling us."),
    },
}
# What a push of a rejection says instead of the moderator's words, which stay in the inbox.
REASON_IN_INBOX = {
    "sv": "{category}. Läs skälet i appen.",
    "en": "{category}. Read the reason in the app.",
}


def _notice(code: str, locale: str) -> tuple[str, str]:
    texts = NOTICE_TEXTS.get(code, NOTICE_TEXTS["tip_new_police_only"])
    return texts.get(locale, texts["sv"])


def notice_title(code: str, locale: str, category: str | None) -> str:
    title, _ = _notice(code, locale)
    return title.format(category=category_label(category, locale) if category else "")


def notice_body(
    code: str, locale: str, category: str | None, detail: str, *, push: bool = False
) -> str:
    _, body = _notice(code, locale)
    if push and code == "tip_rejected":
        body = REASON_IN_INBOX.get(locale, REASON_IN_INBOX["sv"])
    label = category_label(category, locale) if category else ""
    return body.format(category=label, detail=detail)
