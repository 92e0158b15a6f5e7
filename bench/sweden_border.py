"""Write grannsamverkan/geo/sweden_border.json, Sweden's border as geo/sweden.py reads it.

    .venv/bin/pip install -e '.[bench]'        # timezonefinder and shapely
    .venv/bin/python bench/sweden_border.py    # writes the file, then checks it (~1 min)

The border is the time zone ``Europe/Stockholm`` from the polygons timezonefinder ships
(timezonefinder-data: timezone-boundary-builder, built from OpenStreetMap's borders, ODbL):
Sweden's land and territorial waters, and nothing else. It is simplified to ``--tolerance-m``
(25 m) in a plane in metres (Douglas-Peucker, topology kept) and rounded to 1e-5 degrees
(≤ 1.1 m), so the app reads a ~52 kB file with no numpy, shapely or timezonefinder.

Then the file is checked against timezonefinder itself: named places on either side of the
border, and ``--samples`` random points in Sweden's bounding box plus as many within 2 km of
its border. Every point the two disagree on must lie within the tolerance (plus the
rounding) of the original border. Exit status 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import shapely
from timezonefinder import TimezoneFinder

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grannsamverkan.geo import sweden  # noqa: E402

ZONE = "Europe/Stockholm"
SCALE = 100_000  # stored as integers of 1e-5 degrees
M_PER_DEGREE = 111_195.0
X_SCALE = M_PER_DEGREE * np.cos(np.radians(55.0))  # Sweden reaches 55.3° N
# (lat, lon, in Sweden?): both sides of every border and of the Öresund.
PLACES = [
    (57.66, 15.0, True, "Vimmerby"),
    (59.33, 18.07, True, "Stockholm"),
    (55.605, 13.0, True, "Malmö"),
    (56.046, 12.694, True, "Helsingborg"),
    (65.835, 24.137, True, "Haparanda"),
    (57.64, 18.29, True, "Visby"),
    (68.35, 18.83, True, "Abisko"),
    (59.91, 10.75, False, "Oslo"),
    (65.85, 24.15, False, "Tornio"),
    (55.68, 12.57, False, "Copenhagen"),
    (56.036, 12.613, False, "Helsingør"),
    (60.17, 24.94, False, "Helsinki"),
    (60.1, 19.94, False, "Mariehamn"),
    (69.65, 18.96, False, "Tromsø"),
    (0.0, 0.0, False, "(0, 0)"),
    (15.0, 57.66, False, "Vimmerby, lat and lon swapped"),
]


def _to_plane(coords: np.ndarray) -> np.ndarray:
    """(lon, lat) to metres on a plane that is lon/lat stretched alike everywhere, so a line
    straight on it is straight in lon/lat too (as the app's test takes the border's edges).
    East-west it uses the scale of Sweden's southern tip, where a degree of longitude is
    longest: no distance on it is shorter than on the ground, so the tolerance holds."""
    return np.column_stack((coords[:, 0] * X_SCALE, coords[:, 1] * M_PER_DEGREE))


def _from_plane(coords: np.ndarray) -> np.ndarray:
    return np.column_stack((coords[:, 0] / X_SCALE, coords[:, 1] / M_PER_DEGREE))


def _metres_from(lat: float, lon: float, geometry: shapely.Geometry) -> float:
    """The distance on the ground from (lat, lon) to ``geometry`` (a plane laid at the point)."""
    scale_x = M_PER_DEGREE * np.cos(np.radians(lat))

    def local(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(
            ((coords[:, 0] - lon) * scale_x, (coords[:, 1] - lat) * M_PER_DEGREE)
        )

    return float(shapely.transform(geometry, local).distance(shapely.Point(0, 0)))


def original_border(finder: TimezoneFinder) -> shapely.MultiPolygon:
    """The zone's polygons as timezonefinder ships them (lon, lat)."""
    polygons = []
    for rings in finder.get_geometry(tz_name=ZONE, coords_as_pairs=False):
        shell, *holes = (list(zip(lons, lats, strict=True)) for lons, lats in rings)
        polygons.append(shapely.Polygon(shell, holes))
    return shapely.MultiPolygon(polygons)


def _flat(ring: shapely.LinearRing) -> list[int]:
    return [round(c * SCALE) for xy in ring.coords for c in xy]


def write_border(border: shapely.MultiPolygon, tolerance_m: float, path: Path) -> int:
    """Simplify, round and write; the number of positions written."""
    simple = shapely.transform(
        shapely.transform(border, _to_plane).simplify(tolerance_m), _from_plane
    )
    polygons = list(getattr(simple, "geoms", [simple]))
    data = {
        "about": (
            f"Sweden's border: the time zone {ZONE} (land and territorial waters) of "
            f"timezonefinder-data {metadata.version('timezonefinder-data')}, simplified to "
            f"{tolerance_m:g} m. Written by bench/sweden_border.py; do not edit."
        ),
        "licence": (
            "ODbL 1.0: derived from timezone-boundary-builder, "
            "built from OpenStreetMap data, (c) OpenStreetMap contributors"
        ),
        "tolerance_m": tolerance_m,
        "scale": SCALE,
        # Each polygon: its rings (outer first, then holes), each [lon0, lat0, lon1, lat1, ...].
        "polygons": [[_flat(p.exterior), *(_flat(hole) for hole in p.interiors)] for p in polygons],
    }
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    return sum(len(ring) // 2 for polygon in data["polygons"] for ring in polygon)


def _samples(border: shapely.MultiPolygon, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """``n`` uniform points in the bounding box (with a margin), ``n`` within ~2 km of the
    border (a vertex of it, moved up to 2 km)."""
    west, south, east, north = border.bounds
    points = [
        (rng.uniform(south - 0.5, north + 0.5), rng.uniform(west - 1, east + 1)) for _ in range(n)
    ]
    vertices = [xy for p in border.geoms for xy in p.exterior.coords]
    for _ in range(n):
        lon, lat = rng.choice(vertices)
        dlat = rng.uniform(-2000, 2000) / M_PER_DEGREE
        dlon = rng.uniform(-2000, 2000) / (M_PER_DEGREE * np.cos(np.radians(lat)))
        points.append((lat + dlat, lon + dlon))
    return points


def check(border: shapely.MultiPolygon, finder: TimezoneFinder, args: argparse.Namespace) -> bool:
    """The written file against timezonefinder; True when every disagreement is near the border."""
    written = sweden.Border.read(args.out)
    ok = True
    for lat, lon, inside, name in PLACES:
        if written.contains(lat, lon) is not inside:
            print(f"WRONG: {name} ({lat}, {lon}) should be {'in' if inside else 'out'}")
            ok = False
    points = _samples(border, args.samples, random.Random(args.seed))
    worst, differ = 0.0, 0
    for lat, lon in points:
        if written.contains(lat, lon) != (finder.timezone_at(lng=lon, lat=lat) == ZONE):
            differ += 1
            worst = max(worst, _metres_from(lat, lon, border.boundary))
    limit = args.tolerance_m + 2
    print(
        f"{len(points)} points: {differ} answered otherwise than timezonefinder, all within "
        f"{worst:.1f} m of the original border (limit {limit:g} m)"
    )
    return ok and worst <= limit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tolerance-m", type=float, default=25.0)
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=sweden.BORDER_FILE)
    parser.add_argument("--check-only", action="store_true", help="check the file, write nothing")
    args = parser.parse_args(argv)
    finder = TimezoneFinder(in_memory=True)
    border = original_border(finder)
    if not args.check_only:
        positions = write_border(border, args.tolerance_m, args.out)
        size = args.out.stat().st_size
        print(
            f"{args.out}: {positions} positions (timezonefinder's: "
            f"{shapely.get_num_coordinates(border)}), {size / 1000:.1f} kB"
        )
    return 0 if check(border, finder, args) else 1


if __name__ == "__main__":
    raise SystemExit(main())
