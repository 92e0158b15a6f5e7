"""One app per backend for a whole test module, for modules with many small tests.

Building an app (routes, the OpenAPI document) costs more than most API tests themselves.
A module that opts in shares one app per backend and still gets empty tables and fresh rate
limit counters for every test:

    backend, app, _fresh_state = app_per_module()
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from grannsamverkan import create_app
from grannsamverkan.extensions import db
from tests.conftest import (
    BACKENDS,
    EnglishApiClient,
    _empty_all_tables,
    _test_config,
    reset_rate_limits,
)


def app_per_module(config: dict[str, Any] | None = None) -> tuple[Any, Any, Any]:
    """Fixtures overriding conftest's ``backend`` and ``app`` with module-scoped ones."""

    @pytest.fixture(name="backend", scope="module", params=BACKENDS)
    def backend(request: pytest.FixtureRequest) -> str:
        return request.param

    @pytest.fixture(name="app", scope="module")
    def app(
        backend: str,
        database_urls: dict[str, str],
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Iterator[Flask]:
        app = create_app({**_test_config(database_urls[backend]), **(config or {})})
        app.instance_path = str(tmp_path_factory.mktemp("instance"))
        app.test_client_class = EnglishApiClient
        yield app
        with app.app_context():
            db.engine.dispose()

    @pytest.fixture(name="_fresh_state", autouse=True)
    def fresh_state(app: Flask) -> Iterator[None]:
        with app.app_context():
            reset_rate_limits()
        yield
        with app.app_context():
            _empty_all_tables()

    return backend, app, fresh_state
