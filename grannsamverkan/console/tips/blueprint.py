"""The tip pages' blueprint, apart so that its view modules can share it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, url_for

from grannsamverkan.models import Tip

bp = Blueprint("tips", __name__)


@dataclass(frozen=True)
class Choice:
    """One option of a select on these pages."""

    value: str
    label: str
    checked: bool


def detail_url(tip: Tip) -> str:
    return url_for("console.tips.detail", tip_id=tip.id)
