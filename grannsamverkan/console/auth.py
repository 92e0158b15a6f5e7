"""Signing in and out of the console; residents are pointed to the phone app."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from grannsamverkan.api.ratelimit import sign_in_limits
from grannsamverkan.console import forms, session
from grannsamverkan.extensions import db
from grannsamverkan.schemas.accounts import LoginSchema
from grannsamverkan.services import accounts, permissions

bp = Blueprint("auth", __name__)


@bp.get("/")
@session.public
def home() -> Any:
    """The console's front door: Today when signed in, else the sign-in page."""
    if g.console_user is None:
        return redirect(url_for("console.auth.sign_in_form"))
    return redirect(url_for("console.today.index"))


@bp.get("/sign-in")
@session.public
def sign_in_form() -> Any:
    """The sign-in form."""
    if g.console_user is not None and permissions.uses_console(g.console_user):
        return redirect(session.after_sign_in_url(request.args.get("next")))
    return _form(forms.FormErrors(), email="", status=200)


@bp.post("/sign-in")
@sign_in_limits
@session.public
def sign_in() -> Any:
    """Check e-mail and password, open a session row, set the console cookie."""
    errors = forms.FormErrors()
    email = request.form.get("email", "").strip()
    credentials = forms.load(
        LoginSchema(),
        {"email": email, "password": request.form.get("password", "")},
        errors,
        messages={
            "email": _("Enter your e-mail address"),
            "password": _("Enter your password"),
        },
    )
    if credentials is None:
        return _form(errors, email=email, status=422)
    user = accounts.check_password(**credentials)
    if user is None:
        errors.add("email", _("The e-mail address or the password is wrong"))
        return _form(errors, email=email, status=401)
    if not permissions.uses_console(user):
        return session.app_only_page()
    session.start_session(user)
    db.session.commit()
    return redirect(session.after_sign_in_url(request.form.get("next")))


@bp.post("/sign-out")
@session.public
def sign_out() -> Any:
    """Revoke the session, as the API's logout does, and forget the cookie."""
    session.end_session()
    db.session.commit()
    flash(_("You have signed out."))
    return redirect(url_for("console.auth.sign_in_form"))


def _form(errors: forms.FormErrors, *, email: str, status: int) -> tuple[str, int]:
    next_path = request.values.get("next")
    return (
        render_template("console/auth/sign_in.html", errors=errors, email=email, next=next_path),
        status,
    )
