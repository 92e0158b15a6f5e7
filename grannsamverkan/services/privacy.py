"""Masking of what members must not see in tip text (DESIGN.md privacy rules).

Police keep the original; members get vehicle registrations, phone numbers and e-mail
addresses replaced by a placeholder, so a tip cannot be used to expose a person.
"""

from __future__ import annotations

import re

MASK = "[dolt]"  # Swedish for "hidden"; the apps show it as is in both languages.

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Phone numbers start with a country code (+46, 0046) or a trunk 0, then 6–12 more digits
# with spaces, dashes, dots or slashes between groups (070-123 45 67, 08-123 456 78,
# +46 70 123 45 67, 0701234567). Dates (2026-11-26) and times do not start that way.
_DIGITS = r"(?:[\s.\-/]?\(?\d\)?)"
PHONE = re.compile(rf"(?<![\w+])(?:(?:\+|00)\d{{1,3}}{_DIGITS}{{6,12}}|0\d{_DIGITS}{{5,11}})(?!\w)")
# Swedish registrations: three letters then three digits, or two digits and a final letter
# (ABC 123, ABC123, ABC 12D), with or without a space or dash. Also seen on foreign plates
# in the same shape, which masks them too.
PLATE = re.compile(r"(?<!\w)[A-ZÅÄÖ]{3}[\s\-]?\d{2}[\dA-Z](?!\w)", re.IGNORECASE)


def mask_text(text: str) -> str:
    """The text with e-mail addresses, phone numbers and registrations hidden."""
    text = EMAIL.sub(MASK, text)
    text = PLATE.sub(MASK, text)
    return PHONE.sub(MASK, text)


def mask_registration(registration: str | None) -> str | None:
    return MASK if registration else None
