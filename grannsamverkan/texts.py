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


def category_label(category: str, locale: str) -> str:
    labels = CATEGORY_LABELS.get(category)
    return labels.get(locale, labels["sv"]) if labels else category


def tip_guidance(locale: str) -> str:
    return TIP_GUIDANCE.get(locale, TIP_GUIDANCE["sv"])
