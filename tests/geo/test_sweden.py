"""Sweden's border: right answers, and checking a point costs a process next to nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from grannsamverkan.geo.sweden import BORDER_FILE, in_sweden


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (57.66, 15.0, True),  # Vimmerby
        (59.33, 18.07, True),  # Stockholm
        (59.91, 10.75, False),  # Oslo
        (65.85, 24.15, False),  # Tornio, across the river from Haparanda
        (65.835, 24.137, True),  # Haparanda
        (55.68, 12.57, False),  # Copenhagen
        (55.605, 13.0, True),  # Malmö
        (56.036, 12.613, False),  # Helsingør, 4 km across the Öresund from Helsingborg
        (56.046, 12.694, True),  # Helsingborg
        (57.64, 18.29, True),  # Visby, Gotland
        (60.1, 19.94, False),  # Mariehamn, Åland
        (0.0, 0.0, False),
        (15.0, 57.66, False),  # latitude and longitude swapped
        (91.0, 15.0, False),
        (float("nan"), 15.0, False),
        (57.66, float("inf"), False),
    ],
)
def test_points_in_and_out(lat, lon, inside):
    assert in_sweden(lat, lon) is inside


def test_the_first_point_costs_little_memory_and_loads_no_numpy():
    # Through timezonefinder the first check cost ~20 MiB resident (numpy, h3, cffi and the
    # mapped polygons); the border file read into arrays is ~0.2 MiB.
    script = textwrap.dedent("""
        import json, re, sys
        def rss():
            with open("/proc/self/status") as status:
                return int(re.search(r"VmRSS:\\s+(\\d+)", status.read()).group(1)) / 1024
        from grannsamverkan.geo.sweden import in_sweden
        before = rss()
        assert in_sweden(57.66, 15.0)
        print(json.dumps([rss() - before, sorted({"numpy", "timezonefinder"} & set(sys.modules))]))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    grown, loaded = json.loads(done.stdout.splitlines()[-1])
    assert loaded == []
    assert grown < 3


def test_the_border_file_is_small_and_says_where_it_comes_from():
    data = json.loads(BORDER_FILE.read_text())
    assert "OpenStreetMap" in data["licence"]
    assert data["tolerance_m"] <= 50
    assert BORDER_FILE.stat().st_size < 100_000
