"""The API documentation: Swagger UI served by the app itself, offline."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import without_database
from tests.console.conftest import assert_accessible


@without_database
def test_swagger_ui_renders_the_openapi_document(page):
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Grannsamverkan API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.get_by_role("button", name="POST /api/v1/auth/login Exchange")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title() == "API documentation – Grannsamverkan"
    assert page.locator("h1").count() == 1
    assert page.locator("main").count() == 1
    assert_accessible(page)


@without_database
def test_docs_need_no_sign_in(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in response.get_data(as_text=True)
    with client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
