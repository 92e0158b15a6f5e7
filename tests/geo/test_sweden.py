"""Sweden's border: right answers, and the polygons are not copied into every process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from grannsamverkan.geo.sweden import in_sweden


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (57.66, 15.0, True),  # Vimmerby
        (59.33, 18.07, True),  # Stockholm
        (59.91, 10.75, False),  # Oslo
        (65.85, 24.15, False),  # Tornio, across the river from Haparanda
        (55.68, 12.57, False),  # Copenhagen
        (15.0, 57.66, False),  # latitude and longitude swapped
        (91.0, 15.0, False),
    ],
)
def test_points_in_and_out(lat, lon, inside):
    assert in_sweden(lat, lon) is inside


def test_the_first_point_does_not_read_the_polygons_into_memory():
    # In memory, the world's zones made the first check cost ~50 MiB resident (numpy, h3 and
    # cffi ~16 of it); mapped from their file, ~20.
    script = textwrap.dedent("""
        import json, re
        def rss():
            with open("/proc/self/status") as status:
                return int(re.search(r"VmRSS:\\s+(\\d+)", status.read()).group(1)) / 1024
        from grannsamverkan.geo.sweden import in_sweden
        before = rss()
        assert in_sweden(57.66, 15.0)
        print(json.dumps(rss() - before))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout.splitlines()[-1]) < 35
