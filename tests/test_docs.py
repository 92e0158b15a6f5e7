"""The project's own documentation stays true to the code: every route of the OpenAPI
document is in docs/api.md and every route there exists; every file docs/architecture.md
names is where it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grannsamverkan import create_app

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
BASE = "/api/v1"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# `METHOD /path` in a table cell or in the text.
DOCUMENTED_ROUTE = re.compile(rf"`({'|'.join(METHODS)}) (/[^`\s?]*)`")


@pytest.fixture(scope="module")
def served() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(routes of the OpenAPI document, every route the app serves), as (METHOD, path)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                      "GSV_DISPATCHER": "off"})  # fmt: skip
    spec = app.test_client().get(f"{BASE}/openapi.json").get_json()
    in_spec = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }
    served = {
        (method, re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method in METHODS
    }
    return in_spec, served


def documented_routes() -> set[tuple[str, str]]:
    """The routes docs/api.md names; paths without the base path are taken as below it."""
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    return set(DOCUMENTED_ROUTE.findall(text))


def _full(path: str, served: set[tuple[str, str]], method: str) -> str:
    """docs/api.md writes API paths without the base path; the console serves some of the
    same paths at the root (/tips, /areas), so the API's route wins where both exist."""
    if path.startswith(BASE) or (method, BASE + path) in served:
        return path if path.startswith(BASE) else BASE + path
    return path if (method, path) in served else BASE + path


def test_every_route_of_the_openapi_document_is_in_docs_api(served):
    in_spec, all_served = served
    documented = {(m, _full(p, all_served, m)) for m, p in documented_routes()}
    assert sorted(in_spec - documented) == []


def test_every_route_in_docs_api_exists(served):
    _, all_served = served
    documented = {(m, _full(p, all_served, m)) for m, p in documented_routes()}
    assert sorted(documented - all_served) == []


def test_the_route_pattern_finds_the_tables():
    found = documented_routes()
    assert ("POST", "/tips") in found
    assert ("GET", "/healthz") in found
    assert ("DELETE", "/areas/{area_id}/members/{user_id}") in found


def test_files_named_in_the_architecture_page_exist():
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    # `services/permissions.py`, `notify/`, `geo/coarsen.py`: paths inside the package.
    named = set(re.findall(r"`([a-z_]+/(?:[a-z_]+/)*(?:[a-z_]+\.py)?)`", text))
    assert len(named) > 10
    missing = [
        path
        for path in sorted(named)
        if not (REPO / "grannsamverkan" / path).exists() and not (REPO / path).exists()
    ]
    assert missing == []


def test_the_readme_points_at_the_docs_not_outside_files():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for page in ("docs/api.md", "docs/privacy-and-routing.md", "docs/architecture.md"):
        assert page in readme
        assert (REPO / page).is_file()
    assert "API.md" not in readme.replace("docs/api.md", "")
    assert "DESIGN.md" not in readme
