"""A tip's page: everything about it, police triage and moderation (approve, or reject with a
reason its reporter reads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from grannsamverkan.console import forms, labels
from grannsamverkan.console.session import console_user
from grannsamverkan.console.tips.blueprint import Choice, bp, detail_url, shown_tip
from grannsamverkan.console.tips.forwarding import forwarding_panel
from grannsamverkan.console.tips.maps import tip_map
from grannsamverkan.errors import Forbidden, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Tip, User
from grannsamverkan.models.tip import POLICE_TIP_STATUSES
from grannsamverkan.schemas.tips import TipPatchSchema, TipRejectSchema
from grannsamverkan.services import permissions
from grannsamverkan.services import tips as tip_service


@dataclass(frozen=True)
class HistoryEntry:
    at: Any
    text: str


def load_tip(user: User, tip_id: int) -> Tip:
    """The tip, if it is in the user's console scope (else 404, like the API)."""
    tip = db.session.get(Tip, tip_id)
    if tip is None or not (
        permissions.sees_tip_in_full(user, tip)
        or permissions.handles_tip_for_municipality(user, tip)
    ):
        raise NotFound("No such tip.")
    return tip


@bp.get("/tips/<int:tip_id>")
def detail(tip_id: int) -> Any:
    """A tip in full, with the forms the user may use on it."""
    user = console_user()
    tip = load_tip(user, tip_id)
    return _render_detail(user, tip, forms.FormErrors(), {})


def _render_detail(
    user: User, tip: Tip, errors: forms.FormErrors, submitted: dict[str, str], status: int = 200
) -> Any:
    triage = permissions.can_triage_tip(user, tip) and tip.status != "pending"
    moderate = permissions.can_moderate_tip(user, tip) and tip.status == "pending"
    chosen_status = submitted.get("status", tip.status)
    shown = shown_tip(user, tip)
    context = {
        "tip": tip,
        "shown": shown,
        "writes_note": permissions.can_write_police_note(user, tip),
        "show_reporter": permissions.sees_tip_reporter(user, tip),
        "category": labels.category(tip.category),
        "traffic_kind": labels.label(labels.TRAFFIC_KIND, tip.traffic_kind),
        "time_of_day": labels.label(labels.TIME_OF_DAY, tip.time_of_day),
        "status": labels.label(labels.TIP_STATUS, tip.status),
        "alert_status": (
            labels.label(labels.ALERT_STATUS, tip.alert.status) if tip.alert is not None else None
        ),
        "errors": errors,
        "map": tip_map(user, [tip]),
        "duplicate": _duplicate(user, tip),
        "history": _history(tip, names=shown.unmasked),
        "deliveries": _deliveries(user, tip),
        "triage": triage,
        "statuses": [
            Choice(s, labels.label(labels.TIP_STATUS, s), s == chosen_status)
            for s in POLICE_TIP_STATUSES
        ],
        "note": submitted.get("note", tip.police_note or ""),
        "moderate": moderate,
        "reason": submitted.get("reason", ""),
        "forwarding": forwarding_panel(user, tip),
    }
    return render_template("console/tips/detail.html", **context), status


def _duplicate(user: User, tip: Tip) -> dict[str, Any] | None:
    first = tip.duplicate_of
    if first is None or not permissions.sees_duplicate_link(user, tip):
        return None
    return {"text": _("Tip %(id)s", id=first.id), "href": detail_url(first)}


def _history(tip: Tip, *, names: bool) -> list[HistoryEntry]:
    """What is known of the tip's course: reported, and approved or rejected by whom (only
    when ``names``: municipality staff learn of no person)."""
    entries = [HistoryEntry(tip.created_at, _("Reported"))]
    if tip.moderated_at is not None and names:
        who = tip.moderated_by.name if tip.moderated_by else _("a deleted account")
        if tip.status == "rejected" and tip.rejection_reason is not None:
            text = _("Rejected by %(name)s: %(reason)s", name=who, reason=tip.rejection_reason)
        elif tip.status == "rejected":
            text = _("Rejected by %(name)s", name=who)
        else:
            text = _("Approved by %(name)s; the alert went out", name=who)
        entries.append(HistoryEntry(tip.moderated_at, text))
    if tip.escalated_at is not None:
        text = _("Sent to the police: no contact person had moderated it in time")
        entries.append(HistoryEntry(tip.escalated_at, text))
    return sorted(entries, key=lambda entry: entry.at)


def _deliveries(user: User, tip: Tip) -> list[list[Any]] | None:
    if not permissions.can_see_tip_deliveries(user, tip) or tip.alert is None:
        return None
    counts = tip_service.delivery_report(tip)["counts"]
    names = {
        "pending": _("Waiting to be sent"),
        "sent": _("Sent"),
        "failed": _("Failed"),
        "unregistered": _("Phone no longer registered"),
    }
    return [[names[state], {"text": counts[state], "numeric": True}] for state in names]


@bp.post("/tips/<int:tip_id>/status")
def change_status(tip_id: int) -> Any:
    """Police triage: a new status and the police note (PATCH /tips/{id})."""
    user = console_user()
    tip = load_tip(user, tip_id)
    if not permissions.can_triage_tip(user, tip):
        raise Forbidden(_("Only police and the municipality change a tip's status."))
    if tip.status == "pending":
        flash(_("Approve or reject the tip first."))
        return redirect(detail_url(tip))
    submitted = {"status": request.form.get("status", ""), "note": request.form.get("note", "")}
    errors = forms.FormErrors()
    loaded = forms.load(
        TipPatchSchema(),
        submitted,
        errors,
        messages={
            "status": _("Choose a status"),
            "note": _("Write the note in at most 2,000 characters"),
        },
    )
    errors.anchors["status"] = "status"
    if loaded is None:
        return _render_detail(user, tip, errors, submitted, 422)
    # Municipality staff set the status only: the police note is the police's.
    note = loaded["note"].strip() if permissions.can_write_police_note(user, tip) else None
    tip_service.update_tip_status(actor=user, tip=tip, status=loaded["status"], note=note)
    db.session.commit()
    flash(_("The tip is saved."))
    return redirect(detail_url(tip))


@bp.post("/tips/<int:tip_id>/approve")
def approve(tip_id: int) -> Any:
    """Approve a waiting tip: its alert goes out now."""
    user, tip = _moderation_target(tip_id)
    if tip.status != "pending":
        flash(_("The tip was already moderated."))
        return redirect(detail_url(tip))
    reported = tip_service.moderate_tip(actor=user, tip=tip, approve=True)
    db.session.commit()
    flash(
        ngettext(
            "The tip is approved; %(num)s person was alerted.",
            "The tip is approved; %(num)s people were alerted.",
            reported.recipient_count,
        )
    )
    return redirect(detail_url(tip))


@bp.post("/tips/<int:tip_id>/reject")
def reject(tip_id: int) -> Any:
    """Reject a waiting tip with a reason its reporter reads; nobody is alerted."""
    user, tip = _moderation_target(tip_id)
    if tip.status != "pending":
        flash(_("The tip was already moderated."))
        return redirect(detail_url(tip))
    submitted = {"reason": request.form.get("reason", "").strip()}
    errors = forms.FormErrors()
    if not submitted["reason"]:
        errors.add("reason", _("Write why the tip is rejected: its reporter reads it"))
    loaded = forms.load(
        TipRejectSchema(),
        submitted,
        errors,
        messages={"reason": _("Write the reason in at most 500 characters")},
    )
    if errors or loaded is None:
        return _render_detail(user, tip, errors, submitted, 422)
    tip_service.moderate_tip(actor=user, tip=tip, approve=False, reason=loaded["reason"])
    db.session.commit()
    flash(_("The tip is rejected; its reporter sees your reason."))
    return redirect(detail_url(tip))


def _moderation_target(tip_id: int) -> tuple[User, Tip]:
    user = console_user()
    tip = load_tip(user, tip_id)
    if not permissions.can_moderate_tip(user, tip):
        raise Forbidden(_("Only the area's contact persons and police moderate its tips."))
    return user, tip
