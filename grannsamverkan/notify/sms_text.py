"""What a phone receives by SMS about an alert: made at send time from (alert, purpose,
locale) and the coarse place members see (the area's name), never stored.

Short, in the reader's language, and within one SMS where possible: 160 characters of the
GSM 7-bit alphabet (which has å, ä, ö and é); a text with any other character goes as UCS-2,
70 characters a part, so the usual typographic ones are replaced first. No reporter, no
exact point: what the inbox shows, less.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Area, Tip
from grannsamverkan.notify.messages import PURPOSE_PREFIX, base_purpose, title_prefix

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table: each takes two of the 160 septets.
GSM7_EXTENDED = "^{}\\[~]|€\f"
SINGLE_GSM7 = 160
SINGLE_UCS2 = 70
# Typographic characters people paste into texts, and their GSM-7 stand-ins.
PLAIN = str.maketrans(
    {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "\u00a0": " "}
)
ELLIPSIS = "..."

PREFIX = {
    "tip": {"sv": "Grannsamverkan: ", "en": "Neighbourhood watch: "},
    "broadcast": {"sv": "Polisen varnar: ", "en": "Police warning: "},
}
# A later text of a purpose with no prefix of its own (messages.title_prefix has those of
# updates and outcomes, as the push shows them), about an alert no longer standing.
FOLLOW_UP = {"sv": "Avskrivet: ", "en": "Closed: "}
AREA = {"sv": "i {place}", "en": "in {place}"}
CALL_112 = {"sv": " Ring 112 vid fara.", "en": " Call 112 in an emergency."}


@dataclass(frozen=True)
class SmsSubject:
    """What a text is about, read before sending (the alert detached, its area's name)."""

    alert: Alert
    place: str | None


def septets(text: str) -> int | None:
    """The length in GSM-7 septets, or None if the text needs UCS-2."""
    count = 0
    for char in text:
        if char in GSM7_BASIC:
            count += 1
        elif char in GSM7_EXTENDED:
            count += 2
        else:
            return None
    return count


def fits_one_part(text: str) -> bool:
    length = septets(text)
    if length is not None:
        return length <= SINGLE_GSM7
    return len(text.encode("utf-16-le")) // 2 <= SINGLE_UCS2


def sms_text(subject: SmsSubject, purpose: str, locale: str) -> str:
    """The SMS for this alert, purpose and language: a heading, then as much of the body as
    fits in one message (all of the heading, always)."""
    locale = locale if locale in ("sv", "en") else "sv"
    head = _heading(subject, purpose, locale)
    first = subject.alert.kind == "tip" and base_purpose(purpose) == "alert"
    tail = CALL_112[locale] if first else ""
    body = " ".join(subject.alert.body_in(locale, push=True).translate(PLAIN).split())
    return _fitted(head, body, tail)


def _heading(subject: SmsSubject, purpose: str, locale: str) -> str:
    alert = subject.alert
    kind = alert.kind if alert.kind in PREFIX else "tip"
    title = alert.title_in(locale).translate(PLAIN).strip()
    if subject.place:
        title += " " + AREA[locale].format(place=subject.place.translate(PLAIN).strip())
    purpose = base_purpose(purpose)
    if purpose == "alert":
        prefix = PREFIX[kind][locale]
    elif title_prefix(alert, purpose, locale):
        prefix = PREFIX[kind][locale] + title_prefix(alert, purpose, locale)
    elif alert.status in ("active", "updated"):
        prefix = PREFIX[kind][locale] + PURPOSE_PREFIX["update"][locale]
    else:
        prefix = PREFIX[kind][locale] + FOLLOW_UP[locale]
    return prefix + title + "."


def _fitted(head: str, body: str, tail: str) -> str:
    """head + body + tail, the body cut (at a word where it can be) to fit one message."""
    whole = f"{head} {body}{tail}" if body else head + tail
    if fits_one_part(whole) or not body:
        return whole
    if not fits_one_part(f"{head} {ELLIPSIS}{tail}"):
        return head + tail  # the heading alone is longer than a message: it goes in parts
    fits, too_long = 0, len(body)
    while too_long - fits > 1:  # the longest prefix of the body that fits
        middle = (fits + too_long) // 2
        if fits_one_part(f"{head} {body[:middle].rstrip()}{ELLIPSIS}{tail}"):
            fits = middle
        else:
            too_long = middle
    cut = body[:fits]
    if " " in cut and not body[fits : fits + 1].isspace():
        cut = cut.rsplit(" ", 1)[0]  # end at a word
    return f"{head} {cut.rstrip()}{ELLIPSIS}{tail}"


def place_names(alert_ids: set[int]) -> dict[int, str]:
    """The area name of each tip alert among ``alert_ids``: the coarse place members see."""
    if not alert_ids:
        return {}
    rows = db.session.execute(
        select(Alert.id, Area.name)
        .join(Tip, Tip.id == Alert.tip_id)
        .join(Area, Area.id == Tip.area_id)
        .where(Alert.id.in_(alert_ids))
    )
    return {alert_id: name for alert_id, name in rows}
