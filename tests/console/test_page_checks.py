"""The checks every console page passes (conftest.check_page) find what they look for: a test
of the tests, so that a page that breaks them cannot pass by a check that no longer looks."""

from __future__ import annotations

import pytest

from tests.conftest import without_database
from tests.console.conftest import assert_accessible, assert_page_structure

GOOD = """<!doctype html><html lang="sv"><head><title>Prov</title></head>
<body><main><h1>Prov</h1><label for="namn">Namn</label><input id="namn"></main></body></html>"""


@without_database
def test_a_sound_page_passes(page):
    page.set_content(GOOD)
    assert_page_structure(page)
    assert_accessible(page)


@without_database
def test_axe_names_each_violation_and_its_elements(page):
    page.set_content(
        GOOD.replace('<input id="namn">', '<input id="namn"><img src="data:,"><input id="x">')
    )
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page)
    message = str(failed.value)
    assert '"id": "image-alt"' in message
    assert '"id": "label"' in message
    assert '"#x"' in message  # the element that broke the rule
    assert '"impact": "critical"' in message


@without_database
def test_a_page_with_two_h1_fails_the_structure_check(page):
    page.set_content(GOOD.replace("</main>", "<h1>Igen</h1></main>"))
    with pytest.raises(AssertionError, match="exactly one <h1>"):
        assert_page_structure(page)
