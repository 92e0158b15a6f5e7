"""Households without a smartphone, on the area page: a contact person (or police)
registers one with the resident's consent; the same schema, service and rules as
POST /api/v1/areas/{id}/households."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from grannsamverkan.api.problem_texts import translate
from grannsamverkan.console import forms
from grannsamverkan.console.areas import Refill, load_managed_area, render_detail
from grannsamverkan.console.session import console_user
from grannsamverkan.errors import Invalid, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.geo import geocoding
from grannsamverkan.models import Area, User
from grannsamverkan.schemas.households import HouseholdCreateSchema
from grannsamverkan.services import households, permissions

bp = Blueprint("households", __name__)

# Schema field → the form's control (the area page has other forms: names are prefixed).
FIELDS = {
    "name": "household_name",
    "phone": "household_phone",
    "email": "household_email",
    "channels": "household_channels",
    "home": "household_address",
    "home.lat": "household_address",
    "home.lon": "household_address",
    "home.address": "household_address",
    "consent": "household_consent_given_on",
    "consent.given_on": "household_consent_given_on",
    "consent.method": "household_consent_method",
    "_schema": "household_name",
}


def _messages() -> dict[str, str]:
    return {
        "name": _("Enter the resident's name"),
        "phone": _(
            "Enter a mobile number like 070-123 45 67: text messages need one, and without "
            "an e-mail address so does the household"
        ),
        "email": _("Enter an e-mail address like namn@example.se: e-mail alerts need one"),
        "channels": _("Choose how the household gets alerts: text message, e-mail or both"),
        "consent.given_on": _("Enter the day the resident gave consent, like 2026-11-30"),
        "consent.method": _("Choose how the resident gave consent"),
        "home": _("Enter the household's address"),
    }


@bp.post("/areas/<int:area_id>/households")
def register(area_id: int) -> Any:
    """Register a household without a smartphone in the area."""
    user = console_user()
    area = load_managed_area(user, area_id)
    if not permissions.can_register_households(user, area):
        raise NotFound("No such area.")
    errors = forms.FormErrors()
    loaded = forms.load(
        HouseholdCreateSchema(),
        _form_data(request.form),
        errors,
        messages=_messages(),
        fields=FIELDS,
    )
    household = None if loaded is None else _register(user, area, loaded, errors)
    if errors or household is None:
        return render_detail(user, area, errors, 422, Refill(household=request.form))
    db.session.commit()
    flash(_("%(name)s is registered and gets alerts by the chosen means.", name=household.name))
    return redirect(url_for("console.areas.detail", area_id=area.id, _anchor="members"))


def _register(user: User, area: Area, loaded: dict[str, Any], errors: forms.FormErrors) -> Any:
    home, consent = loaded.pop("home"), loaded.pop("consent")
    try:
        if "lat" not in home:
            place = geocoding.geocode(home["address"], field="home.address")
            home = {"lat": place.lat, "lon": place.lon, "address": place.address}
        return households.register_household(
            actor=user,
            area=area,
            **loaded,
            lat=home["lat"],
            lon=home["lon"],
            address=home.get("address"),
            consent_given_on=consent["given_on"],
            consent_method=consent["method"],
        )
    except Invalid as error:
        db.session.rollback()
        for field, texts in (error.errors or {}).items():
            errors.add(FIELDS.get(field, "household_name"), translate(texts[0]))
        return None


def _form_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """The form as the API's JSON body: empty boxes are left out, so the schema's rules
    (a number or an address; the one each chosen channel needs) speak."""
    data: dict[str, Any] = {
        "name": form.get("household_name", "").strip(),
        "channels": form.getlist("household_channels"),
        "home": {},
        "consent": {
            "given_on": form.get("household_consent_given_on", "").strip(),
            "method": form.get("household_consent_method", ""),
        },
    }
    for key in ("phone", "email"):
        value = form.get(f"household_{key}", "").strip()
        if value:
            data[key] = value
    address = form.get("household_address", "").strip()
    if address:
        data["home"]["address"] = address
    lat = forms.parse_number(form.get("household_lat", "").strip())
    lon = forms.parse_number(form.get("household_lon", "").strip())
    if lat != "" or lon != "":
        data["home"].update(lat=lat, lon=lon)
    return data
