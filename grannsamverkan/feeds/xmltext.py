"""Text and time values as the XML feeds (CAP, Atom) need them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# XML 1.0 forbids most C0 control characters; lxml raises on them, and a stray one pasted
# into a broadcast must not take the public feed down.
_NOT_XML_CHAR = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Return `text` without the characters XML 1.0 cannot carry."""
    return _NOT_XML_CHAR.sub("", text)


def utc(moment: datetime) -> datetime:
    """Return an aware `moment` in UTC, whole seconds; refuse naive datetimes."""
    if moment.utcoffset() is None:
        raise ValueError("naive datetime: feeds need timezone-aware times")
    return moment.astimezone(UTC).replace(microsecond=0)
