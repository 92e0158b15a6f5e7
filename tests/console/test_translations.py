"""The Swedish catalogue covers every console text, and the committed .mo files (what a fresh
clone and a wheel use) are compiled from the current .po files. ``./dev i18n`` fixes both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPO / "grannsamverkan" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def console_texts() -> set[str]:
    with (TRANSLATIONS / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(REPO), method_map, options_map, keywords=KEYWORDS
        )
    }


def _plain(value):
    """A message id or string, plural forms (ngettext) as a tuple."""
    return tuple(value) if isinstance(value, list | tuple) else value


def _as_compiled(message):
    """What pybabel compile writes for ``message``: empty plural forms fall back to the ids."""
    if not isinstance(message.string, tuple):
        return message.string
    return tuple(text or message.id[min(i, 1)] for i, text in enumerate(message.string))


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def test_every_console_text_has_a_swedish_translation():
    swedish = catalogue("sv")
    texts = console_texts()
    assert len(texts) > 50
    untranslated = sorted(
        text for text in texts if swedish.get(text) is None or not _translated(swedish.get(text))
    )
    assert untranslated == [], "run ./dev i18n and translate these in sv/LC_MESSAGES/messages.po"


def test_english_catalogue_knows_every_text():
    english = catalogue("en")
    assert sorted(t for t in console_texts() if english.get(t) is None) == []


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_compiled_catalogues_match_their_sources(locale):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(mo) if m.id}
    source = {
        _plain(m.id): _as_compiled(m)
        for m in catalogue(locale)
        if m.id and m.string and not m.fuzzy
    }
    assert compiled == source, "run ./dev i18n to compile the catalogues"


# One word per thing in each language: a police officer who reads "Utbildningar" in the menu
# must not find "Kommande evenemang" on the start page for the same heart-starter training.
TERMS = {
    "sv": {"training events": ("utbildning", ("evenemang", "tillfälle", "kurser", "kursen"))},
    "en": {"training events": ("training event", ())},
}
# "an event" in a text, except what a neighbour sees happen ("suspicious events").
EVENT = re.compile(r"(?<!suspicious )\bevents?\b")


def _texts(locale):
    for message in catalogue(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        yield from zip(ids, [text or ids[0] for text in strings], strict=False)


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_training_events_have_one_name(locale):
    word, others = TERMS[locale]["training events"]
    texts = list(_texts(locale))
    assert [text for _id, text in texts if any(other in text.lower() for other in others)] == []
    # Every text about an event (a training: the console sends no other kind) names it so.
    about_events = [(id_, text) for id_, text in texts if EVENT.search(id_)]
    assert about_events, "the catalogue has no texts about training events"
    loose = [id_ for id_, text in about_events if word not in text.lower()]
    assert loose == []
