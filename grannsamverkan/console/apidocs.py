"""The API's documentation: Swagger UI (from swagger-ui-dist, served by the app itself)
rendering ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for

from grannsamverkan.console.session import public

bp = Blueprint("apidocs", __name__)


@bp.get("/api/v1/docs")
@public
def swagger_ui() -> Any:
    """Swagger UI for the OpenAPI document."""
    spec_url = url_for("api-docs.openapi_json")
    return render_template("console/apidocs/swagger_ui.html", spec_url=spec_url)
