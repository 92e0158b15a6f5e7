"""Coarsening: what members are shown instead of a raw point (DESIGN.md privacy rules).

A point is replaced by the centre of its grid cell. Cells are 0.002° of latitude (≈222 m)
by 0.0052° of longitude (≈200 m at 69.1°N, Sweden's northernmost point; ≈330 m at 55°N),
so nowhere in Sweden is a cell narrower than 200 m.
"""

from __future__ import annotations

import math

LAT_STEP = 0.002
LON_STEP = 0.0052


def _cell_centre(value: float, step: float) -> float:
    return round(math.floor(value / step) * step + step / 2, 6)


def coarsen(lat: float, lon: float) -> dict[str, float]:
    """The centre of the grid cell that contains (lat, lon)."""
    return {"lat": _cell_centre(lat, LAT_STEP), "lon": _cell_centre(lon, LON_STEP)}


def is_coarse(lat: float, lon: float) -> bool:
    """True when (lat, lon) is already a cell centre: nothing finer leaks through it."""
    return coarsen(lat, lon) == {"lat": round(lat, 6), "lon": round(lon, 6)}


def cell_bounds(lat: float, lon: float) -> tuple[float, float, float, float]:
    """The grid cell that contains (lat, lon), as (south, west, north, east)."""
    south = round(math.floor(lat / LAT_STEP) * LAT_STEP, 6)
    west = round(math.floor(lon / LON_STEP) * LON_STEP, 6)
    return south, west, round(south + LAT_STEP, 6), round(west + LON_STEP, 6)
