"""The table of Sweden's municipalities: complete, well-formed, and right where we check."""

from __future__ import annotations

from collections import Counter

from grannsamverkan.geo.municipalities import (
    MUNICIPALITIES,
    english_name,
    municipality,
    swedish_name,
)

# Municipalities per county (län), by the county's two-digit code.
PER_COUNTY = {
    "01": 26, "03": 8, "04": 9, "05": 13, "06": 13, "07": 8, "08": 12, "09": 1, "10": 5,
    "12": 33, "13": 6, "14": 49, "17": 16, "18": 12, "19": 10, "20": 15, "21": 10, "22": 7,
    "23": 8, "24": 15, "25": 14,
}  # fmt: skip
KALMAR_LAN = {
    "0821": "Högsby", "0834": "Torsås", "0840": "Mörbylånga", "0860": "Hultsfred",
    "0861": "Mönsterås", "0862": "Emmaboda", "0880": "Kalmar", "0881": "Nybro",
    "0882": "Oskarshamn", "0883": "Västervik", "0884": "Vimmerby", "0885": "Borgholm",
}  # fmt: skip


def test_all_290_municipalities_in_their_counties():
    assert len(MUNICIPALITIES) == 290
    assert all(len(code) == 4 and code.isdigit() for code in MUNICIPALITIES)
    assert Counter(code[:2] for code in MUNICIPALITIES) == PER_COUNTY
    names = [m.name for m in MUNICIPALITIES.values()]
    assert len(set(names)) == 290


def test_kalmar_lan():
    in_kalmar = {code: m.name for code, m in MUNICIPALITIES.items() if code.startswith("08")}
    assert in_kalmar == KALMAR_LAN


def test_official_names_are_the_genitive_forms_in_use():
    assert swedish_name("0884") == "Vimmerby kommun"
    assert swedish_name("0883") == "Västerviks kommun"
    assert swedish_name("0880") == "Kalmar kommun"
    assert swedish_name("2080") == "Falu kommun"
    assert swedish_name("0180") == "Stockholms kommun"
    assert all(m.official_name.endswith(" kommun") for m in MUNICIPALITIES.values())
    assert english_name("0884") == "Vimmerby Municipality"


def test_a_code_that_names_no_municipality():
    assert municipality("0999") is None
    assert swedish_name("0999") == "Kommun 0999"
    assert english_name("0999") == "Municipality 0999"
