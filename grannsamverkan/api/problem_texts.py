"""The API's error texts in the caller's language: Swedish unless ``Accept-Language`` prefers
English (the locale Flask-Babel selects, console/session.py).

Texts are written in English in the code and translated from the ``problems`` catalogue
(grannsamverkan/translations/*/LC_MESSAGES/problems.po, kept by ``./dev i18n``). A text with
values in it (``Length must be between 1 and 200.``) is matched against the catalogue's
templates (``Length must be between %(min)s and %(max)s.``) and its values put back into the
translated template. marshmallow's and webargs' own messages are listed below so that they
are in the catalogue too.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask_babel import Domain

from grannsamverkan.errors import N_

DOMAIN = Domain(domain="problems")

# marshmallow's and webargs' messages as the API shows them (marshmallow's {name}
# placeholders written as %(name)s), so that ./dev i18n puts them in the catalogue.
LIBRARY_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Invalid input type."),
    N_("Invalid input."),
    N_("Invalid JSON body."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid date."),
    N_("Not a valid time."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("String does not match expected pattern."),
    N_("Must be one of: %(choices)s."),
    N_("One or more of the choices you made was not in: %(choices)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Shorter than minimum length %(min)s."),
    N_("Longer than maximum length %(max)s."),
    N_("Length must be %(equal)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than %(min)s and less than %(max)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be greater than %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be less than %(max)s."),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def translate(text: str) -> str:
    """``text`` (an English message id, or one filled in from a template) in the request's
    language; unknown texts are answered as they are."""
    translations = DOMAIN.get_translations()
    translated = translations.gettext(text)
    if translated != text or text in _catalogue(translations):
        return str(translated)
    for template, pattern in _templates(translations):
        match = pattern.fullmatch(text)
        if match:
            return str(translations.gettext(template)) % match.groupdict()
    return text


def translate_errors(errors: Any) -> Any:
    """Every message of a field-error mapping (nested dicts and lists) translated."""
    if isinstance(errors, dict):
        return {key: translate_errors(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [translate_errors(value) for value in errors]
    return translate(errors) if isinstance(errors, str) else errors


def _catalogue(translations: Any) -> dict[Any, Any]:
    # gettext.GNUTranslations keeps its messages in _catalog (empty for NullTranslations).
    return getattr(translations, "_catalog", {})


@cache
def _templates(translations: Any) -> list[tuple[str, re.Pattern[str]]]:
    """The catalogue's templates as patterns, once per catalogue (Flask-Babel keeps one per
    locale for the life of the app)."""
    templates = []
    for message_id in _catalogue(translations):
        if not isinstance(message_id, str) or "%(" not in message_id:
            continue
        parts = _PLACEHOLDER.split(message_id)
        # split() alternates literal text and placeholder names.
        regex, seen = "", set()
        for index, part in enumerate(parts):
            if index % 2 == 0:
                regex += re.escape(part)
            else:
                regex += f"(?P={part})" if part in seen else f"(?P<{part}>.+?)"
                seen.add(part)
        templates.append((message_id, re.compile(regex, re.DOTALL)))
    # The most specific (longest literal text) first.
    templates.sort(key=lambda item: -len(_PLACEHOLDER.sub("", item[0])))
    return templates
