"""Masking of what members must not see in tip text (DESIGN.md privacy rules).

Police keep the original; members get vehicle registrations, phone numbers and e-mail
addresses replaced by a placeholder, so a tip cannot be used to expose a person.

People write these in many ways (``ABC–123``, ``Ａ Ｂ Ｃ １２３``, ``070 - 123 45 67``,
``erik [at] example.se``), so the text is first normalised: NFKC (full-width letters and
digits become ASCII), every kind of dash becomes ``-``, invisible format characters go and
runs of white space become one space. Matching runs on that normalised copy; each match is
mapped back to its span in the original, and only those spans are replaced, so the rest of
the text keeps its own characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers

MASK = "[dolt]"  # Swedish for "hidden"; the apps show it as is in both languages.

# Phone numbers: libphonenumber's matcher, reading numbers without a country code as
# Swedish. VALID finds every Swedish spelling (070-123 45 67, 070 - 123 45 67,
# +46 (0)70-123 45 67, 46701234567, 08-123 456 78, 0771-123 456) and foreign numbers with
# their +/00 prefix, and refuses dates, years, times, prices and postcodes, which POSSIBLE
# takes (2024-05-01, 1990-2000, "1 234 567 kr"); STRICT_GROUPING misses 020- and 0771-
# numbers and foreign ones (measured in tests/services/test_privacy.py).
PHONE_REGION = "SE"
PHONE_LENIENCY = phonenumbers.Leniency.VALID

# E-mail addresses, also without a dot in the domain (erik@localhost).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]*\w@\w[\w-]*(?:\.[\w-]*\w)*")
# ... and written around filters: erik [at] example.se, erik(at)example(dot)se,
# erik {snabel-a} example [punkt] se.
_AT = r" ?[\[({] ?(?:at|snabel-a) ?[\])}] ?"
_DOT = r"(?:\.| ?[\[({] ?(?:dot|punkt) ?[\])}] ?)"
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]*\w{_AT}\w[\w-]*(?:{_DOT}[\w-]*\w)*", re.IGNORECASE
)
# Swedish registrations: three letters, then three digits or (since 2019) two digits and a
# letter: ABC 123, ABC 12A. In capitals they may be spaced out or split by a dash or dot
# (A B C 1 2 3, ABC-123, ABC.123); written together they are recognised in any case
# (abc123). Lower-case letters before separate digits are not: "för 123 kr" is a price.
_PLATE_SPACED = re.compile(r"(?<!\w)[A-Z] ?[A-Z] ?[A-Z](?: ?[-.] ?| )?\d ?\d ?[\dA-Z](?!\w)")
_PLATE_JOINED = re.compile(r"(?<!\w)[A-Za-z]{3}\d{2}[\dA-Za-z](?!\w)")
# Capitals that stand before numbers in Swedish text without being a registration.
_NOT_PLATE_PREFIXES = {"SEK", "EUR", "USD", "NOK", "DKK", "GBP", "TEL", "MOB", "FAX"}
_DASHES = {"\u2212", "\ufe63", "\uff0d"}  # minus signs; the rest are category Pd


@dataclass(frozen=True)
class NormalisedText:
    """The normalised copy of a text, and where each of its characters came from."""

    text: str
    # origins[i] = (start, end) of the original characters that gave character i.
    origins: tuple[tuple[int, int], ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.origins[start][0], self.origins[end - 1][1]


def normalise(text: str) -> NormalisedText:
    """NFKC, one kind of dash, no invisible characters, single spaces (see the module)."""
    chars: list[str] = []
    origins: list[tuple[int, int]] = []
    for index, original in enumerate(text):
        for char in unicodedata.normalize("NFKC", original):
            if char.isspace():
                if chars and chars[-1] == " ":  # a run of spaces becomes one
                    origins[-1] = (origins[-1][0], index + 1)
                    continue
                char = " "
            elif unicodedata.category(char) == "Cf":  # soft hyphens, zero-width spaces
                continue
            elif unicodedata.category(char) == "Pd" or char in _DASHES:
                char = "-"
            chars.append(char)
            origins.append((index, index + 1))
    return NormalisedText("".join(chars), tuple(origins))


def _phone_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in phonenumbers.PhoneNumberMatcher(text, PHONE_REGION, leniency=PHONE_LENIENCY):
        yield match.start, match.end


def _regex_spans(text: str) -> Iterator[tuple[int, int]]:
    for pattern in (_EMAIL, _SPELLED_EMAIL, _PLATE_JOINED):
        for match in pattern.finditer(text):
            yield match.span()
    for match in _PLATE_SPACED.finditer(text):
        if match.group().replace(" ", "")[:3] not in _NOT_PLATE_PREFIXES:
            yield match.span()


def sensitive_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` has e-mail addresses, phone numbers and registrations: sorted,
    non-overlapping (start, end) spans of the original text."""
    normalised = normalise(text)
    found = sorted(
        normalised.original_span(start, end)
        for start, end in (*_regex_spans(normalised.text), *_phone_spans(normalised.text))
        if end > start
    )
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _mask_once(text: str) -> str:
    pieces, position = [], 0
    for start, end in sensitive_spans(text):
        pieces += [text[position:start], MASK]
        position = end
    return "".join(pieces) + text[position:]


def mask_text(text: str) -> str:
    """The text with e-mail addresses, phone numbers and registrations hidden."""
    # Until nothing more is found: a mask can join what was around it into a new match, and
    # masking the masked text must change nothing. Each round masks more digits or '@'s
    # (which MASK has none of), so this ends.
    while True:
        masked = _mask_once(text)
        if masked == text:
            return masked
        text = masked


def mask_registration(registration: str | None) -> str | None:
    return MASK if registration else None


# How many were alerted, as a member who reported the tip is told: exact counts would map
# homes (two probe tips 40 m apart reached 10 and 8 people, issue 11).
COUNT_STEP = 10


def coarse_count(count: int) -> int:
    """``count`` for members: 0 stays 0 (nobody was alerted); any other count is rounded to
    the nearest ten (halves up), and never below 10, so 1 to 14 all read 10."""
    if count <= 0:
        return 0
    return max(COUNT_STEP, (count + COUNT_STEP // 2) // COUNT_STEP * COUNT_STEP)
