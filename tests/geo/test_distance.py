"""Bounding boxes for the radius search, and coarsening for privacy (no database needed)."""

from __future__ import annotations

import random

import pytest
from geopy.distance import geodesic

from grannsamverkan.geo.coarsen import LAT_STEP, LON_STEP, coarsen, is_coarse
from grannsamverkan.geo.distance import bounding_box, distance_m

# Sweden spans about 55.3–69.1°N and 10.9–24.2°E.
SWEDEN_LAT = (55.3, 69.1)
SWEDEN_LON = (10.9, 24.2)


def random_points(n: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(rng.uniform(*SWEDEN_LAT), rng.uniform(*SWEDEN_LON)) for _ in range(n)]


# --- distance -------------------------------------------------------------------------------


@pytest.mark.parametrize("radius_m", [50, 100, 1000, 2000, 25_000])
def test_bounding_box_contains_every_point_within_the_radius(radius_m):
    rng = random.Random(radius_m)
    for lat, lon in random_points(200, seed=radius_m):
        box = bounding_box(lat, lon, radius_m)
        # Every compass direction at 15° steps plus random ones, just inside the radius.
        bearings = [*range(0, 360, 15), *(rng.uniform(0, 360) for _ in range(12))]
        for bearing in bearings:
            point = geodesic(meters=radius_m * 0.999).destination((lat, lon), bearing)
            assert box.min_lat <= point.latitude <= box.max_lat, (lat, lon, bearing)
            assert box.min_lon <= point.longitude <= box.max_lon, (lat, lon, bearing)


def test_bounding_box_is_not_needlessly_large():
    # A box far bigger than the circle makes the indexed scan read far more rows.
    lat, lon, radius_m = 57.6663, 15.8557, 1000
    box = bounding_box(lat, lon, radius_m)
    assert distance_m((box.min_lat, lon), (box.max_lat, lon)) < 2 * radius_m * 1.05
    assert distance_m((lat, box.min_lon), (lat, box.max_lon)) < 2 * radius_m * 1.05


def test_distance_m():
    # Vimmerby to Västervik is about 48 km as the crow flies.
    assert distance_m((57.6663, 15.8557), (57.7584, 16.6373)) == pytest.approx(47_700, rel=0.01)
    assert distance_m((57.0, 15.0), (57.0, 15.0)) == 0


# --- coarsen --------------------------------------------------------------------------------


def test_coarsen_is_idempotent():
    for lat, lon in random_points(2000, seed=1):
        once = coarsen(lat, lon)
        assert coarsen(once["lat"], once["lon"]) == once
        assert is_coarse(once["lat"], once["lon"])


def test_coarsen_moves_a_point_by_at_most_half_a_cell():
    for lat, lon in random_points(2000, seed=2):
        cell = coarsen(lat, lon)
        assert abs(cell["lat"] - lat) <= LAT_STEP / 2 + 1e-6
        assert abs(cell["lon"] - lon) <= LON_STEP / 2 + 1e-6


def test_raw_points_are_not_coarse():
    assert not is_coarse(57.66631, 15.85572)


@pytest.mark.parametrize("lat", [55.0, 57.0, 60.0, 63.0, 66.0, 68.0, 69.0])
def test_cells_are_at_least_200_m_across_sweden(lat):
    height = distance_m((lat, 15.0), (lat + LAT_STEP, 15.0))
    width = distance_m((lat, 15.0), (lat, 15.0 + LON_STEP))
    assert height >= 200
    assert width >= 200


def test_cells_at_the_northernmost_point_are_still_200_m():
    # Treriksröset, 69.06°N: the northernmost point of Sweden.
    assert distance_m((69.06, 20.55), (69.06, 20.55 + LON_STEP)) >= 200
