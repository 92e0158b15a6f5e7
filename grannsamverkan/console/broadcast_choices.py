"""Words and choices of the broadcast forms: kinds, severities, topics, targets, places."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from grannsamverkan.console import labels
from grannsamverkan.console.settings import Choice
from grannsamverkan.models import Area
from grannsamverkan.models.broadcast import BROADCAST_KINDS, BROADCAST_SEVERITIES, EVENT_TOPICS

TARGETS = ("areas", "municipalities", "circle")


def topic_label(topic: str | None) -> str:
    labels_by_topic = {
        "heart_starter": _("Heart-lung rescue and defibrillator"),
        "fraud_awareness": _("Fraud awareness"),
        "safety_walk": _("Safety walk"),
        "other": _("Other"),
    }
    return labels_by_topic.get(topic or "", topic or "")


def kind_choices(chosen: str, kinds: Sequence[str] = BROADCAST_KINDS) -> list[Choice]:
    """The kinds the author may send (broadcast_permissions.broadcast_kinds_for)."""
    return [Choice(k, labels.label(labels.BROADCAST_KIND, k), k == chosen) for k in kinds]


def severity_choices(chosen: str) -> list[Choice]:
    return [
        Choice("", _("None"), not chosen),
        *(
            Choice(s, labels.label(labels.BROADCAST_SEVERITY, s), s == chosen)
            for s in BROADCAST_SEVERITIES
        ),
    ]


def topic_choices(chosen: str) -> list[Choice]:
    return [Choice("", _("Choose a topic"), not chosen)] + [
        Choice(t, topic_label(t), t == chosen) for t in EVENT_TOPICS
    ]


def target_choices(chosen: str) -> list[Choice]:
    words = {
        "areas": _("Areas"),
        "municipalities": _("Whole municipalities"),
        "circle": _("A circle on the map"),
    }
    return [Choice(t, words[t], t == chosen) for t in TARGETS]


def municipality_choices(codes: list[str], chosen: list[str]) -> list[Choice]:
    return [Choice(c, labels.municipality_label(c), c in chosen) for c in codes]


def area_choices(areas: list[Area], chosen: list[str]) -> list[Choice]:
    return [
        Choice(
            str(a.id),
            f"{a.name}, {labels.municipality_label(a.municipality_code)}",
            str(a.id) in chosen,
        )
        for a in areas
    ]
