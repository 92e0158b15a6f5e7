"""The signed-in person's own settings: push categories, quiet hours, language.

Saved through the same schema and service as the API's ``PATCH /me``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh

from grannsamverkan.console import forms, labels
from grannsamverkan.console.session import console_user
from grannsamverkan.extensions import db
from grannsamverkan.models.tip import TIP_CATEGORIES
from grannsamverkan.models.user import LOCALES
from grannsamverkan.schemas.accounts import MePatchSchema
from grannsamverkan.services import accounts

bp = Blueprint("settings", __name__)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class SettingsForm:
    categories: list[Choice]
    quiet_start: str
    quiet_end: str
    locales: list[Choice]


@bp.get("/settings")
def edit() -> Any:
    """The settings form, filled in with what is stored."""
    user = console_user()
    chosen = set(user.categories) if user.categories is not None else set(TIP_CATEGORIES)
    quiet = user.quiet_hours or {"start": "", "end": ""}
    form = _form(chosen, quiet["start"], quiet["end"], user.locale)
    return render_template("console/settings/edit.html", form=form, errors=forms.FormErrors())


@bp.post("/settings")
def save() -> Any:
    """Save the settings; on a mistake show the form again with the errors."""
    user = console_user()
    chosen = request.form.getlist("categories")
    start = request.form.get("quiet_start", "").strip()
    end = request.form.get("quiet_end", "").strip()
    locale = request.form.get("locale", "")
    errors = forms.FormErrors()
    if bool(start) != bool(end):
        missing = "quiet_end" if start else "quiet_start"
        errors.add(missing, _("Enter both times, or leave both empty"))
    changes = {
        "categories": chosen,
        "quiet_hours": {"start": start, "end": end} if start and end else None,
        "locale": locale,
    }
    loaded = forms.load(
        MePatchSchema(),
        changes,
        errors,
        messages={
            "categories": _("Choose among the listed categories"),
            "quiet_hours": _("Enter times as hours and minutes, for example 22:00"),
            "locale": _("Choose a language"),
        },
        fields={"quiet_hours": "quiet_start"},
    )
    errors.anchors["categories"] = f"categories-{TIP_CATEGORIES[0]}"
    errors.anchors["locale"] = f"locale-{LOCALES[0]}"
    if errors or loaded is None:
        form = _form(set(chosen), start, end, locale)
        return render_template("console/settings/edit.html", form=form, errors=errors), 422
    accounts.update_profile(user, loaded)
    db.session.commit()
    refresh()  # the message below in the language just chosen
    flash(_("Your settings are saved."))
    return redirect(url_for("console.settings.edit"))


def _form(chosen: set[str], start: str, end: str, locale: str) -> SettingsForm:
    return SettingsForm(
        categories=[Choice(c, labels.category(c), c in chosen) for c in TIP_CATEGORIES],
        quiet_start=start,
        quiet_end=end,
        locales=[Choice(code, labels.LOCALE_NAMES[code], code == locale) for code in LOCALES],
    )
