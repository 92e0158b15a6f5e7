"""WarningDocument refuses values the feeds could not publish."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.feeds.conftest import MakeDoc


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "tip"}, "kind"),
        ({"status": "deleted"}, "status"),
        ({"severity": "extreme"}, "severity"),
        ({"sequence": -1}, "sequence"),
        ({"sender": "Polisen Vimmerby"}, "sender"),
        ({"sender": "polisen,vimmerby"}, "sender"),
        ({"updated_at": datetime(2026, 11, 26, 18, 0)}, "updated_at"),
        ({"starts_at": datetime(2026, 12, 10, 17, 0)}, "starts_at"),
    ],
)
def test_invalid_values_are_refused(
    make_doc: MakeDoc, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_doc(**overrides)
