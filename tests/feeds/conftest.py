"""A factory for broadcast documents; feed tests need no app and no database."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from grannsamverkan.feeds.document import WarningDocument

CAP_XSD = Path(__file__).parent.parent / "data" / "CAP-v1.2.xsd"
CREATED = datetime(2026, 11, 26, 18, 0, 0, tzinfo=UTC)

MakeDoc = Callable[..., WarningDocument]


@pytest.fixture
def make_doc() -> MakeDoc:
    """Build a fraud warning for Vimmerby, with any field overridden."""
    base = WarningDocument(
        broadcast_id=42,
        kind="fraud_warning",
        title="Falska poliser ringer äldre",
        body="Polisen ber aldrig om koder eller kort. Lägg på och ring 114 14.",
        severity="moderate",
        status="active",
        sequence=0,
        created_at=CREATED,
        updated_at=CREATED,
        expires_at=datetime(2026, 12, 3, 18, 0, 0, tzinfo=UTC),
        municipality_codes=["0884"],
        area_names=[],
        circle=None,
        sender="polisen-vimmerby@grannsamverkan",
    )

    def make(**overrides: Any) -> WarningDocument:
        return dataclasses.replace(base, **overrides)

    return make


@pytest.fixture(scope="session")
def cap_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 schema, read from the copy in tests/data."""
    return etree.XMLSchema(etree.parse(str(CAP_XSD)))
