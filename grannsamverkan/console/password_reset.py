"""The page a password reset e-mail links to: choose a new password (any account)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from grannsamverkan.api.problem_texts import translate
from grannsamverkan.api.ratelimit import client_address_key, limiter
from grannsamverkan.console import forms, session
from grannsamverkan.console.errors import error_page
from grannsamverkan.errors import Invalid, InvalidLink
from grannsamverkan.extensions import db
from grannsamverkan.schemas.accounts import PasswordResetConfirmSchema
from grannsamverkan.services import password_reset

bp = Blueprint("password_reset", __name__)


def _address_limit() -> str:
    return current_app.config["GSV_LOGIN_ADDRESS_LIMIT"]


@bp.get("/password-reset")
@session.public
def form() -> Any:
    """The form, if the link still works (else the invalid-link page, 400)."""
    token = request.args.get("token", "")
    try:
        password_reset.user_for_token(token)
    except InvalidLink as error:
        return error_page(400, translate(error.detail))
    return _form(forms.FormErrors(), token=token, status=200)


@bp.post("/password-reset")
@limiter.limit(_address_limit, key_func=client_address_key)
@session.public
def submit() -> Any:
    """Set the new password, as POST /auth/password-reset/confirm does."""
    errors = forms.FormErrors()
    token = request.form.get("token", "")
    body = forms.load(
        PasswordResetConfirmSchema(),
        {"token": token, "password": request.form.get("password", "")},
        errors,
        messages={"password": _("Choose a password of 10 to 200 characters")},
    )
    if body is None:
        return _form(errors, token=token, status=422)
    try:
        password_reset.confirm_reset(body["token"], body["password"])
    except InvalidLink as error:
        db.session.rollback()
        return error_page(400, translate(error.detail))
    except Invalid as error:
        db.session.rollback()
        errors.add("password", translate(error.detail))
        return _form(errors, token=token, status=422)
    db.session.commit()
    return render_template("console/auth/password_changed.html")


def _form(errors: forms.FormErrors, *, token: str, status: int) -> tuple[str, int]:
    page = render_template("console/auth/password_reset.html", errors=errors, token=token)
    return page, status
