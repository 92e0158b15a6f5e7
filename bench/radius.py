"""Benchmark 1: radius search over member homes (BENCHMARKS.md).

    python -m bench.radius [--homes 1000000] [--queries 300] \
        [--backends sqlite,postgresql,postgis] [--runs 3] [--json bench/results/radius.json]

Seeds a fresh database per backend with synthetic Swedish homes (half in gaussian clusters
around ~200 towns, half spread over a rough polygon of Sweden; fixed seed), then times, for
query points drawn from the same distribution, at 500 m and 2 km:

* ``app``: the real ``homes_within(lat, lon, radius)`` in an app context (the indexed box
  query that filters, measures and sorts in SQL; the exact Python test near the edge), each
  call in its own transaction opened before the clock starts;
* ``routing``: ``homes_within(..., own_radius=True)``, what tip routing runs: only homes
  whose own alert radius also reaches the point; checked against its own reference;
* ``before``: the search as it was before issue 14 (the box query, every home in the box
  measured in Python, sorted in Python);

  these three are timed in one loop, one after another at each point (taking turns at
  going first, which pays for reading the point's pages), so that they share the load;
* ``sql``: the app's query alone, on the driver's cursor (execute + fetchall);
* ``postgis``: ``ST_DWithin(geog, point, r, false)`` on a geography copy of the homes with
  a GIST index, returning the app's answer (ids, sphere distances, nearest first);
* ``fullscan``: the baseline without an index: every row's haversine distance computed in
  SQL (fairer than shipping a million rows to Python), on the first ``--fullscan-queries``
  points only, since each takes ~0.5 s.

Every result set is checked against a numpy haversine over all homes on geopy's Earth
radius; the EXPLAIN of the densest query is printed and stored, and must use the index as a
covering one (SQLite) or index-only (PostgreSQL).
Exit status 1 if any result set differs or a plan does not use the index.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely
from geopy.distance import EARTH_RADIUS
from sqlalchemy import bindparam, select

from grannsamverkan import create_app
from grannsamverkan.extensions import db
from grannsamverkan.geo import radius as radius_module
from grannsamverkan.geo.distance import bounding_box
from grannsamverkan.geo.radius import (
    NearbyHome,
    _great_circle_from,
    homes_within,
    select_homes_within,
)
from grannsamverkan.models import User

PG_ADMIN_URL = os.environ.get("GSV_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SEED = 20240501
RADII_M = (500, 2000)
EARTH_RADIUS_M = EARTH_RADIUS * 1000  # geopy's mean radius, the app's sphere
KM_PER_DEG = math.pi * EARTH_RADIUS / 180
EDGE_EXCUSE_M = 1e-6
WARM_UP = 10  # untimed queries first, on every backend
BARS_P95_MS = {500: 2.0, 2000: 15.0}
BAR_SPEEDUP = 50.0
# PostGIS measures on the WGS84 mean radius (2a + b) / 3, 0.23 m shorter than geopy's: a home
# within r·3.6e-8 of the edge (72 µm at 2 km) may fall on the other side of it.
POSTGIS_RADIUS_M = (2 * 6378137.0 + 6356752.314245179) / 3
GIS_TABLE = "bench_homes_geog"
TIMED = (
    *("app", "routing", "before"),
    *("app_cpu", "routing_cpu", "before_cpu"),
    *("sql", "postgis", "fullscan"),
)
GIS_INDEX = "ix_bench_homes_geog"

# The 30 largest urban areas (tätorter; population rounded, SCB 2020) at their centres.
TOWNS = [
    ("Stockholm", 59.3293, 18.0686, 1_600_000),
    ("Göteborg", 57.7089, 11.9746, 600_000),
    ("Malmö", 55.6050, 13.0038, 330_000),
    ("Uppsala", 59.8586, 17.6389, 165_000),
    ("Västerås", 59.6099, 16.5448, 130_000),
    ("Örebro", 59.2741, 15.2066, 125_000),
    ("Linköping", 58.4108, 15.6214, 115_000),
    ("Helsingborg", 56.0465, 12.6945, 110_000),
    ("Jönköping", 57.7826, 14.1618, 100_000),
    ("Norrköping", 58.5877, 16.1924, 95_000),
    ("Lund", 55.7047, 13.1910, 95_000),
    ("Umeå", 63.8258, 20.2630, 90_000),
    ("Gävle", 60.6749, 17.1413, 78_000),
    ("Borås", 57.7210, 12.9401, 75_000),
    ("Södertälje", 59.1955, 17.6253, 75_000),
    ("Eskilstuna", 59.3666, 16.5077, 70_000),
    ("Halmstad", 56.6745, 12.8578, 70_000),
    ("Växjö", 56.8777, 14.8091, 70_000),
    ("Karlstad", 59.3793, 13.5036, 67_000),
    ("Sundsvall", 62.3908, 17.3069, 58_000),
    ("Östersund", 63.1792, 14.6357, 50_000),
    ("Trollhättan", 58.2837, 12.2886, 50_000),
    ("Luleå", 65.5848, 22.1547, 48_000),
    ("Borlänge", 60.4858, 15.4371, 45_000),
    ("Kristianstad", 56.0294, 14.1567, 42_000),
    ("Kalmar", 56.6634, 16.3568, 42_000),
    ("Falun", 60.6065, 15.6355, 40_000),
    ("Skövde", 58.3903, 13.8461, 40_000),
    ("Karlskrona", 56.1612, 15.5869, 38_000),
    ("Skellefteå", 64.7507, 20.9528, 35_000),
]
RANDOM_TOWNS = 170
# Sweden, roughly (lon, lat): the coast clockwise from Falsterbo, then the Finnish and
# Norwegian borders back down to Strömstad and the west coast.
SWEDEN = shapely.Polygon(
    [
        (12.82, 55.40), (13.36, 55.34), (14.36, 55.56), (14.30, 55.93), (15.60, 56.15),
        (16.36, 56.66), (16.65, 57.76), (17.10, 58.67), (17.95, 58.90), (18.90, 59.40),
        (18.80, 60.10), (18.45, 60.34), (17.30, 60.70), (17.20, 61.70), (17.40, 62.40),
        (17.95, 62.63), (18.70, 63.30), (20.30, 63.80), (21.20, 64.75), (22.20, 65.60),
        (24.15, 65.83), (23.40, 67.20), (22.50, 68.45), (20.55, 69.06), (18.10, 68.45),
        (16.20, 67.10), (14.50, 65.90), (13.70, 64.60), (12.10, 63.30), (12.20, 62.50),
        (12.30, 62.10), (12.80, 61.30), (12.30, 60.50), (12.30, 59.90), (11.80, 59.30),
        (11.15, 59.00), (11.70, 57.70), (12.20, 57.10), (12.85, 56.67), (12.45, 56.30),
        (12.70, 56.05), (12.97, 55.60),
    ]
)  # fmt: skip


# --- the synthetic homes ----------------------------------------------------------------


@dataclass
class Towns:
    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray


def make_towns() -> Towns:
    """The 30 largest towns plus 170 smaller ones at random places inside Sweden."""
    rng = np.random.default_rng(SEED)
    lon, lat = _uniform_in_sweden(RANDOM_TOWNS, rng)
    # Smaller towns: log-uniform between 3,000 and the 30th town's 35,000 inhabitants.
    small = np.exp(rng.uniform(math.log(3_000), math.log(35_000), RANDOM_TOWNS))
    return Towns(
        lat=np.concatenate([[t[1] for t in TOWNS], lat]),
        lon=np.concatenate([[t[2] for t in TOWNS], lon]),
        population=np.concatenate([[t[3] for t in TOWNS], small]),
    )


def _uniform_in_sweden(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform in area inside the polygon (rejection sampling), as (lon, lat)."""
    min_lon, min_lat, max_lon, max_lat = SWEDEN.bounds
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    have = 0
    while have < n:
        batch = max(1024, 3 * (n - have))
        # Uniform in area: uniform in sin(latitude), not in latitude.
        s = rng.uniform(math.sin(math.radians(min_lat)), math.sin(math.radians(max_lat)), batch)
        lat = np.degrees(np.arcsin(s))
        lon = rng.uniform(min_lon, max_lon, batch)
        inside = shapely.contains_xy(SWEDEN, lon, lat)
        lons.append(lon[inside])
        lats.append(lat[inside])
        have += int(inside.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def synthetic_points(n: int, towns: Towns, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Half around towns (gaussian, spread ∝ √population), half uniform; shuffled (lat, lon).

    σ = 1.2 km·√(population / 50,000), at least 400 m: every town's centre then has the
    same density, ~430 homes/km² at 1,000,000 homes (Stockholm's σ is 6.8 km), which is
    about a fifth of the households of inner Stockholm.
    """
    clustered = n // 2
    weights = towns.population / towns.population.sum()
    which = rng.choice(len(weights), size=clustered, p=weights)
    sigma_km = np.maximum(0.4, 1.2 * np.sqrt(towns.population / 50_000))[which]
    centre_lat = towns.lat[which]
    lat_c = centre_lat + rng.normal(0.0, 1.0, clustered) * sigma_km / KM_PER_DEG
    lon_c = towns.lon[which] + rng.normal(0.0, 1.0, clustered) * sigma_km / (
        KM_PER_DEG * np.cos(np.radians(centre_lat))
    )
    lon_u, lat_u = _uniform_in_sweden(n - clustered, rng)
    order = rng.permutation(n)
    return np.concatenate([lat_c, lat_u])[order], np.concatenate([lon_c, lon_u])[order]


@dataclass
class Homes:
    lat: np.ndarray
    lon: np.ndarray
    alert_radius: np.ndarray

    @property
    def ids(self) -> np.ndarray:
        return np.arange(1, len(self.lat) + 1)


def make_homes(n: int, towns: Towns) -> Homes:
    rng = np.random.default_rng(SEED + 1)
    lat, lon = synthetic_points(n, towns, rng)
    alert_radius = rng.choice(np.array([250, 500, 1000, 1000, 1000, 2000]), size=n)
    return Homes(lat, lon, alert_radius)


def make_queries(n: int, towns: Towns) -> list[tuple[float, float]]:
    lat, lon = synthetic_points(n, towns, np.random.default_rng(SEED + 2))
    return list(zip(lat.tolist(), lon.tolist(), strict=True))


# --- the reference ----------------------------------------------------------------------


@dataclass
class Reference:
    """For each radius and query: the ids within range, and every home's distance."""

    ids: dict[int, list[set[int]]]
    distances: list[np.ndarray]  # per query, every home, metres
    # Routing's: also within the home's own alert radius.
    routing_ids: dict[int, list[set[int]]]
    alert_radius: np.ndarray
    queries: list[tuple[float, float]]


def haversine_m(lat: float, lon: float, homes: Homes) -> np.ndarray:
    phi1, phi2 = math.radians(lat), np.radians(homes.lat)
    dphi = phi2 - phi1
    dlam = np.radians(homes.lon) - math.radians(lon)
    h = np.sin(dphi / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h))


def make_reference(homes: Homes, queries: list[tuple[float, float]]) -> Reference:
    ids: dict[int, list[set[int]]] = {r: [] for r in RADII_M}
    routing_ids: dict[int, list[set[int]]] = {r: [] for r in RADII_M}
    distances = []
    home_ids = homes.ids
    for lat, lon in queries:
        d = haversine_m(lat, lon, homes)
        distances.append(d)
        for r in RADII_M:
            ids[r].append(set(home_ids[d <= r].tolist()))
            routing_ids[r].append(set(home_ids[d <= np.minimum(r, homes.alert_radius)].tolist()))
    return Reference(ids, distances, routing_ids, homes.alert_radius, queries)


def compare(
    found: set[int],
    expected: set[int],
    distances: np.ndarray,
    radius: int,
    sphere_m: float,
    own_radii: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """The ids in one set and not the other, with how far from the circle's edge they are.

    The edge is ``radius``, or with ``own_radii`` each home's min(radius, own radius).
    Excused: within 1e-6 m of the edge, or (another sphere) within the band where the two
    radii disagree, on the side that radius moves them to.
    """
    band = radius * abs(1 - sphere_m / EARTH_RADIUS_M)
    out = []
    for home_id in sorted(found ^ expected):
        edge = radius if own_radii is None else min(radius, int(own_radii[home_id - 1]))
        from_edge = float(distances[home_id - 1] - edge)
        extra = home_id not in expected
        reason = None
        if abs(from_edge) < EDGE_EXCUSE_M:
            reason = "within 1e-6 m of the edge"
        elif abs(from_edge) <= band * 1.001 + EDGE_EXCUSE_M and extra == (
            sphere_m < EARTH_RADIUS_M
        ):  # noqa: E501
            reason = f"sphere radius {sphere_m!r} m, band {band:.2e} m"
        out.append(
            {
                "id": home_id,
                "missing": not extra,
                "reference_distance_m": float(distances[home_id - 1]),
                "from_edge_m": from_edge,
                "excused": reason is not None,
                "reason": reason,
            }
        )
    return out


# --- seeding ----------------------------------------------------------------------------

CREATED_AT = "2024-01-01 00:00:00.000000"
USER_COLUMNS = (
    "id, email, password_hash, name, role, locale, municipality_codes, home_lat, home_lon, "
    "home_protected, alert_radius_m, created_at"
)
CHUNK = 100_000


def _rows(homes: Homes, start: int, stop: int) -> Iterator[tuple[Any, ...]]:
    lats = homes.lat[start:stop].tolist()
    lons = homes.lon[start:stop].tolist()
    radii = homes.alert_radius[start:stop].tolist()
    for offset, (lat, lon, radius) in enumerate(zip(lats, lons, radii, strict=True)):
        user_id = start + offset + 1
        yield (user_id, f"u{user_id}@bench.invalid", "-", f"Member {user_id}", lat, lon, radius)


def seed_sqlite(path: str, homes: Homes) -> None:
    """executemany in chunks of 100,000 rows, one transaction, then ANALYZE."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    conn.execute("BEGIN")
    sql = f"INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, 'resident', 'sv', '[]', ?, ?, 0, ?, '{CREATED_AT}')"  # noqa: E501, S608
    for start in range(0, len(homes.lat), CHUNK):
        conn.executemany(sql, _rows(homes, start, start + CHUNK))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def seed_postgresql(dsn: str, homes: Homes) -> None:
    """COPY in chunks of 100,000 rows (floats as repr: exact round trip), then VACUUM ANALYZE."""
    with psycopg.connect(dsn) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY users ({USER_COLUMNS}) FROM STDIN") as copy:
            for start in range(0, len(homes.lat), CHUNK):
                copy.write(
                    "".join(
                        f"{i}\t{email}\t-\t{name}\tresident\tsv\t[]\t{lat!r}\t{lon!r}\tf\t"
                        f"{radius}\t{CREATED_AT}+00\n"
                        for i, email, _, name, lat, lon, radius in _rows(
                            homes, start, start + CHUNK
                        )
                    )
                )
        conn.execute("SELECT setval('users_id_seq', (SELECT max(id) FROM users))")
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE users")


def add_postgis(dsn: str) -> str:
    """A geography copy of the homes with a GIST index; returns the PostGIS version."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute(
            f"CREATE TABLE {GIS_TABLE} AS SELECT id, alert_radius_m, "  # noqa: S608 - constants
            "ST_SetSRID(ST_MakePoint(home_lon, home_lat), 4326)::geography AS geog FROM users"
        )
        conn.execute(f"ALTER TABLE {GIS_TABLE} ADD PRIMARY KEY (id)")
        conn.execute(f"CREATE INDEX {GIS_INDEX} ON {GIS_TABLE} USING GIST (geog)")
        conn.execute(f"VACUUM ANALYZE {GIS_TABLE}")
        row = conn.execute("SELECT postgis_full_version()").fetchone()
        return str(row[0]) if row else "?"


# --- timing -----------------------------------------------------------------------------


@dataclass
class Series:
    """Per-query times (ms) for each run, per radius, and the result-set checks."""

    times: dict[int, list[list[float]]] = field(default_factory=lambda: {r: [] for r in RADII_M})
    mismatches: dict[int, list[dict[str, Any]]] = field(
        default_factory=lambda: {r: [] for r in RADII_M}
    )
    notes: list[str] = field(default_factory=list)
    worst_distance_m: float = 0.0

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for r, runs in self.times.items():
            if not runs:
                continue
            per_run = [_percentiles(t) for t in runs]
            pooled = _percentiles([x for t in runs for x in t])
            out[str(r)] = {
                "queries": len(runs[0]),
                "runs": len(runs),
                # The median over runs of each run's percentile, and every run's own.
                "p50_ms": float(np.median([p["p50_ms"] for p in per_run])),
                "p95_ms": float(np.median([p["p95_ms"] for p in per_run])),
                "p99_ms": float(np.median([p["p99_ms"] for p in per_run])),
                "max_ms": pooled["max_ms"],
                "per_run": per_run,
                "mismatched_queries": len({m["query"] for m in self.mismatches[r]}),
                "unexcused_mismatches": sum(not m["excused"] for m in self.mismatches[r]),
                "excused_mismatches": sum(m["excused"] for m in self.mismatches[r]),
                "mismatches": self.mismatches[r][:50],
            }
        return out

    def per_query_median(self, r: int) -> list[float]:
        return np.median(np.array(self.times[r]), axis=0).tolist()


def _percentiles(times: list[float]) -> dict[str, float]:
    a = np.array(times)
    return {
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "p99_ms": float(np.percentile(a, 99)),
        "max_ms": float(a.max()),
    }


def _check(
    series: Series,
    r: int,
    q: int,
    found: set[int],
    ref: Reference,
    first_run: bool,
    sphere_m: float = EARTH_RADIUS_M,
    routing: bool = False,
) -> None:
    if first_run:
        expected = (ref.routing_ids if routing else ref.ids)[r][q]
        own_radii = ref.alert_radius if routing else None
        for m in compare(found, expected, ref.distances[q], r, sphere_m, own_radii):
            series.mismatches[r].append({"query": q, **m})


# --- the search before issue 14, kept for the side-by-side ------------------------------

_users = User.__table__
_IN_BOX_BEFORE = select(
    _users.c.id, _users.c.home_lat, _users.c.home_lon, _users.c.alert_radius_m
).where(
    _users.c.home_lat.between(bindparam("min_lat"), bindparam("max_lat")),
    _users.c.home_lon.between(bindparam("min_lon"), bindparam("max_lon")),
)


def homes_within_before(lat: float, lon: float, radius_m: float) -> list[NearbyHome]:
    """``homes_within`` as it was at d7c28c1: every home in the box measured in Python."""
    box = bounding_box(lat, lon, radius_m)
    params = {
        "min_lat": box.min_lat,
        "max_lat": box.max_lat,
        "min_lon": box.min_lon,
        "max_lon": box.max_lon,
    }
    distance_from_origin = _great_circle_from(lat, lon)
    found = []
    for user_id, home_lat, home_lon, alert_radius_m in db.session.execute(_IN_BOX_BEFORE, params):
        distance = distance_from_origin(home_lat, home_lon)
        if distance <= radius_m:
            found.append(NearbyHome(user_id, distance, alert_radius_m))
    found.sort(key=lambda home: home.distance_m)
    return found


def routing_search(lat: float, lon: float, radius_m: float) -> list[NearbyHome]:
    return homes_within(lat, lon, radius_m, own_radius=True)


# What time_app times, query by query in this order: name, function, routing's reference?
SEARCHES: list[tuple[str, Callable[[float, float, float], list[NearbyHome]], bool]] = [
    ("app", homes_within, False),
    ("routing", routing_search, True),
    ("before", homes_within_before, False),
]


def time_app(queries: list[tuple[float, float]], ref: Reference, runs: int) -> dict[str, Series]:
    """Each of ``SEARCHES`` on each query in turn; checks sets, order and distances.

    Besides the wall time, ``<name>_cpu`` is the calling thread's CPU time: on SQLite that is
    all the work (the database runs in the thread), and it moves far less with the load of
    a shared machine; on PostgreSQL it leaves out the server's share.
    """
    names = [name for name, _, _ in SEARCHES]
    series = {name: Series() for name in names + [f"{name}_cpu" for name in names]}
    for lat, lon in queries[:WARM_UP]:  # caches, plans, the pool: off the clock
        for _, search, _ in SEARCHES:
            search(lat, lon, 2000)
            db.session.rollback()
    for run in range(runs):
        for r in RADII_M:
            times: dict[str, list[float]] = {name: [] for name in series}
            for q, (lat, lon) in enumerate(queries):
                # The first search at a point pays for reading its pages: take turns.
                turn = q % len(SEARCHES)
                for name, search, routing in SEARCHES[turn:] + SEARCHES[:turn]:
                    db.session.connection()  # the transaction (and pool checkout): off the clock
                    start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
                    found = search(lat, lon, r)
                    times[name].append((time.perf_counter_ns() - start) / 1e6)
                    times[f"{name}_cpu"].append((time.thread_time_ns() - start_cpu) / 1e6)
                    db.session.rollback()
                    if run == 0:
                        _check_found(series[name], found, r, q, ref, routing)
            for name, s in series.items():
                s.times[r].append(times[name])
    for name in names:
        worst = series[name].worst_distance_m
        series[name].notes.append(f"largest difference from geopy's distance_m: {worst!r} m")
    return series


def _check_found(
    series: Series, found: list[NearbyHome], r: int, q: int, ref: Reference, routing: bool
) -> None:
    """The set against the reference; nearest first; every 10th query's distances vs geopy."""
    from grannsamverkan.geo.distance import distance_m

    _check(series, r, q, {h.user_id for h in found}, ref, True, routing=routing)
    if q % 10 == 0:
        lat, lon = ref.queries[q]
        series.worst_distance_m = max(
            series.worst_distance_m,
            *(abs(h.distance_m - distance_m((lat, lon), _home(ref, h.user_id))) for h in found),
            0.0,
        )
    ds = [h.distance_m for h in found]
    if ds != sorted(ds):
        series.notes.append(f"query {q} at {r} m: not nearest first")


_HOMES: Homes | None = None


def _home(ref: Reference, user_id: int) -> tuple[float, float]:
    assert _HOMES is not None
    return (float(_HOMES.lat[user_id - 1]), float(_HOMES.lon[user_id - 1]))


def _compiled(stmt_and_params: tuple[Any, dict[str, Any]], dialect: Any) -> tuple[str, Any]:
    """The SQL the app sends, and its parameters in the driver's style."""
    stmt, values = stmt_and_params
    compiled = stmt.compile(dialect=dialect)
    params = compiled.construct_params(values)
    if dialect.paramstyle == "qmark":
        return compiled.string, tuple(params[k] for k in compiled.positiontup)
    return compiled.string, params


def time_sql(
    queries: list[tuple[float, float]], ref: Reference, runs: int, make_stmt: Callable[..., Any]
) -> Series:
    """The app's query alone on the DB-API cursor: execute and fetch every row."""
    series = Series()
    dialect = db.engine.dialect
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for sql, params in (_compiled(make_stmt(*q, 2000), dialect) for q in queries[:WARM_UP]):
            cur.execute(sql, params)
            cur.fetchall()
        for _run in range(runs):
            for r in RADII_M:
                compiled = [_compiled(make_stmt(lat, lon, r), dialect) for lat, lon in queries]
                times = []
                for sql, params in compiled:
                    start = time.perf_counter_ns()
                    cur.execute(sql, params)
                    cur.fetchall()
                    times.append((time.perf_counter_ns() - start) / 1e6)
                series.times[r].append(times)
        raw.rollback()
    finally:
        raw.close()
    return series


def time_postgis(dsn: str, queries: list[tuple[float, float]], ref: Reference, runs: int) -> Series:
    """ST_DWithin on the geography copy, returning the app's answer: nearest first."""
    series = Series()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for lat, lon in queries[:WARM_UP]:  # PostGIS loads its caches on a new connection
            cur.execute(POSTGIS_SQL, {"lat": lat, "lon": lon, "r": 2000})
            cur.fetchall()
        for run in range(runs):
            for r in RADII_M:
                times = []
                for q, (lat, lon) in enumerate(queries):
                    start = time.perf_counter_ns()
                    cur.execute(POSTGIS_SQL, {"lat": lat, "lon": lon, "r": r})
                    rows = cur.fetchall()
                    times.append((time.perf_counter_ns() - start) / 1e6)
                    _check(series, r, q, {row[0] for row in rows}, ref, run == 0, POSTGIS_RADIUS_M)
                series.times[r].append(times)
    return series


POSTGIS_SQL = (
    "SELECT id, ST_Distance(geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography,"  # noqa: S608, E501
    " false) AS distance, alert_radius_m"
    f" FROM {GIS_TABLE}"
    " WHERE ST_DWithin(geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography,"
    " %(r)s, false) ORDER BY distance"
)
# The full scan: no bounding box, so no index can help; the haversine in SQL.
FULLSCAN_SQL = (
    "SELECT id, 2 * {R} * asin(sqrt(power(sin((radians(home_lat) - {plat}) / 2), 2)"
    " + {cos_lat} * cos(radians(home_lat)) * power(sin((radians(home_lon) - {plon}) / 2), 2)))"
    " AS distance, alert_radius_m FROM users"
)


def time_fullscan(dialect: str, queries: list[tuple[float, float]], ref: Reference) -> Series:
    """One run over the given points; the filter repeats the expression (no alias in WHERE)."""
    series = Series()
    mark = "?" if dialect == "sqlite" else "%s"
    select_sql = FULLSCAN_SQL.format(R=repr(EARTH_RADIUS_M), plat=mark, cos_lat=mark, plon=mark)
    where = select_sql.split(" AS distance")[0].split("SELECT id, ", 1)[1]
    sql = f"{select_sql} WHERE {where} <= {mark} ORDER BY distance"
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for r in RADII_M:
            times = []
            for q, (lat, lon) in enumerate(queries):
                p = (math.radians(lat), math.cos(math.radians(lat)), math.radians(lon))
                start = time.perf_counter_ns()
                cur.execute(sql, (*p, *p, r))
                rows = cur.fetchall()
                times.append((time.perf_counter_ns() - start) / 1e6)
                _check(series, r, q, {row[0] for row in rows}, ref, True)
            series.times[r].append(times)
        raw.rollback()
    finally:
        raw.close()
    return series


# --- plans ------------------------------------------------------------------------------


def explain_app(dialect: str, lat: float, lon: float, r: int, own_radius: bool = False) -> str:
    stmt = select_homes_within(lat, lon, r, own_radius=own_radius)
    sql, params = _compiled(stmt, db.engine.dialect)
    raw = db.engine.raw_connection()
    try:
        if dialect == "sqlite":
            cur = raw.cursor()
            cur.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(" ".join(str(c) for c in row) for row in cur.fetchall())
        cur = psycopg.ClientCursor(raw.driver_connection)  # type: ignore[arg-type]
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        text = "\n".join(row[0] for row in cur.fetchall())
        raw.rollback()
        return text
    finally:
        raw.close()


def explain_postgis(dsn: str, lat: float, lon: float, r: int) -> str:
    with psycopg.connect(dsn) as conn:
        cur = psycopg.ClientCursor(conn)
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {POSTGIS_SQL}", {"lat": lat, "lon": lon, "r": r})
        return "\n".join(row[0] for row in cur.fetchall())


# --- the run ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    return {
        "nproc": os.cpu_count(),
        "memory": mem,
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "loadavg_start": os.getloadavg(),
    }


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database gsv_bench_<random>, dropped afterwards; yields its libpq DSN."""
    name = f"gsv_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_config(url: str) -> dict[str, Any]:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "GSV_DISPATCHER": "off"}


def densest(ref: Reference, r: int) -> int:
    return max(range(len(ref.ids[r])), key=lambda q: len(ref.ids[r][q]))


def run_backend(
    name: str,
    url: str,
    seed: Callable[[], None],
    args: argparse.Namespace,
    homes: Homes,
    queries: list[tuple[float, float]],
    ref: Reference,
    log: Callable[[str], None],
) -> dict[str, Any]:
    app = create_app(app_config(url))
    out: dict[str, Any] = {}
    with app.app_context():
        db.create_all()
        db.engine.dispose()
        started = time.perf_counter()
        seed()
        out["seed_s"] = round(time.perf_counter() - started, 1)
        log(f"{name}: seeded {len(homes.lat):,} homes in {out['seed_s']} s")
        dialect = db.engine.dialect.name
        out["explain"] = {}
        for r in RADII_M:
            q = densest(ref, r)
            plan = explain_app(dialect, *queries[q], r)
            out["explain"][str(r)] = {
                "query": q,
                "homes_in_range": len(ref.ids[r][q]),
                "plan": plan,
            }
        q = densest(ref, 2000)
        out["explain"]["2000 routing"] = {
            "query": q,
            "homes_in_range": len(ref.routing_ids[2000][q]),
            "plan": explain_app(dialect, *queries[q], 2000, own_radius=True),
        }
        # Covering: no table visit for the thousands of homes in a city's box.
        covering = {"sqlite": "COVERING INDEX ix_users_home"}.get(
            dialect, "Index Only Scan using ix_users_home"
        )
        out["plan_uses_index"] = all(covering in e["plan"] for e in out["explain"].values())
        log(f"{name}: plan of the densest 2 km query:\n{_indent(out['explain']['2000']['plan'])}")
        searches = time_app(queries, ref, args.runs)
        app_series = searches["app"]
        for what, series in searches.items():
            out[what] = series.summary()
            out[f"{what}_notes"] = series.notes
            out[f"{what}_worst_distance_m"] = series.worst_distance_m
            log(f"{name}: {what:<11} {_line(out[what])}")
        out["sql"] = time_sql(queries, ref, args.runs, select_homes_within).summary()
        log(f"{name}: sql  {_line(out['sql'])}")
        n_full = min(args.fullscan_queries, len(queries))
        if n_full:
            full = time_fullscan(dialect, queries[:n_full], ref)
            out["fullscan"] = full.summary()
            out["fullscan_method"] = (
                f"haversine in SQL over every row, no box; first {n_full} points"
            )
            out["fullscan_ms"] = {str(r): full.times[r][0] for r in RADII_M}
            out["speedup"] = _speedups(
                out["fullscan_ms"], {str(r): app_series.per_query_median(r) for r in RADII_M}
            )
            log(f"{name}: full {_line(out['fullscan'])} (first {n_full} points, one run)")
        if args.profile:
            out["profile"] = profile_app(
                queries, Path(args.json).with_name(f"radius_{name}.prof.txt")
            )
        if name == "postgresql":
            row = db.session.execute(db.text("SELECT version()")).scalar()
            out["server_version"] = row
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return out


def _speedups(
    full_ms: dict[str, list[float]], timed_ms: dict[str, list[float]]
) -> dict[str, dict[str, float]]:
    """Full scan over the timed search, on the points both ran (the first ones)."""
    out = {}
    for r, full_t in full_ms.items():
        timed = timed_ms[r][: len(full_t)]
        paired = [f / t for f, t in zip(full_t, timed, strict=True)]
        out[r] = {
            "fullscan_p50_over_app_p50": float(np.median(full_t) / np.median(timed)),
            "paired_median": float(np.median(paired)),
            "paired_min": float(min(paired)),
        }
    return out


def profile_app(queries: list[tuple[float, float]], path: Path) -> str:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for lat, lon in queries:
        db.session.connection()
        homes_within(lat, lon, 2000)
        db.session.rollback()
    profiler.stop()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    return str(path)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def _line(summary: dict[str, Any]) -> str:
    return "  ".join(
        f"{r} m p50 {s['p50_ms']:.3f} p95 {s['p95_ms']:.3f} p99 {s['p99_ms']:.3f} ms"
        for r, s in summary.items()
    )


def table(result: dict[str, Any]) -> str:
    head = f"{'backend':<11} {'what':<11} {'radius':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}"
    lines = [head, "-" * len(head)]
    for backend, b in result["backends"].items():
        for what in TIMED:
            for r, s in b.get(what, {}).items():
                if not isinstance(s, dict):
                    continue
                lines.append(
                    f"{backend:<11} {what:<11} {r + ' m':>6} {s['p50_ms']:>9.3f} "
                    f"{s['p95_ms']:>9.3f} {s['p99_ms']:>9.3f}"
                    + ("" if s["unexcused_mismatches"] == 0 else "  RESULTS DIFFER")
                )
        for r, s in b.get("speedup", {}).items():
            lines.append(
                f"{backend:<11} speed-up {r + ' m':>6}  full-scan p50 / app p50 = "
                f"{s['fullscan_p50_over_app_p50']:.0f}x (paired min {s['paired_min']:.0f}x)"
            )
    return "\n".join(lines)


def evaluate_bars(result: dict[str, Any]) -> dict[str, Any]:
    bars: dict[str, Any] = {}
    for backend, b in result["backends"].items():
        timed = b.get("app") or b.get("postgis") or {}
        entry: dict[str, Any] = {}
        for r, limit in BARS_P95_MS.items():
            s = timed.get(str(r))
            if s:
                entry[f"p95_{r}m_le_{limit}ms"] = s["p95_ms"] <= limit
        for r, s in b.get("speedup", {}).items():
            entry[f"speedup_{r}m_ge_{BAR_SPEEDUP:.0f}x"] = (
                s["fullscan_p50_over_app_p50"] >= BAR_SPEEDUP
            )
        entry["plan_uses_index"] = b.get("plan_uses_index", False)
        bars[backend] = entry
    return bars


def main(argv: list[str] | None = None) -> dict[str, Any]:
    global _HOMES
    parser = argparse.ArgumentParser(prog="python -m bench.radius", description=__doc__)
    parser.add_argument("--homes", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql,postgis")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fullscan-queries", type=int, default=20)
    parser.add_argument("--json", default="bench/results/radius.json")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the 2 km app calls")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    unknown = set(backends) - {"sqlite", "postgresql", "postgis"}
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")

    def log(message: str) -> None:
        if not args.quiet:
            print(message, flush=True)

    began = time.perf_counter()
    towns = make_towns()
    homes = make_homes(args.homes, towns)
    _HOMES = homes
    queries = make_queries(args.queries, towns)
    ref = make_reference(homes, queries)
    # The reference's sets hold millions of ints: out of the collector's sight, so that no
    # full collection inside a timed search walks them (a bench artifact of 100+ ms).
    gc.freeze()
    log(
        f"{args.homes:,} homes, {len(queries)} queries; "
        f"reference in {time.perf_counter() - began:.1f} s"
    )
    in_range = {str(r): _percentiles([float(len(s)) for s in ref.ids[r]]) for r in RADII_M}
    result: dict[str, Any] = {
        "benchmark": "radius",
        "command": "python -m bench.radius " + " ".join(argv if argv is not None else sys.argv[1:]),
        "homes": args.homes,
        "queries": len(queries),
        "runs": args.runs,
        "seed": SEED,
        "machine": machine(),
        "homes_in_range": {
            r: {k.replace("_ms", ""): v for k, v in p.items()} for r, p in in_range.items()
        },
        "backends": {},
    }
    for r, p in in_range.items():
        log(
            f"homes in range at {r} m: "
            f"p50 {p['p50_ms']:.0f}, p95 {p['p95_ms']:.0f}, max {p['max_ms']:.0f}"
        )

    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="gsv_bench_") as tmp:
            path = f"{tmp}/radius.db"
            result["backends"]["sqlite"] = run_backend(
                "sqlite", f"sqlite:///{path}", lambda: seed_sqlite(path, homes),
                args, homes, queries, ref, log,
            )  # fmt: skip
    if "postgresql" in backends or "postgis" in backends:
        with postgres_database() as dsn:
            url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
            if "postgresql" in backends:
                result["backends"]["postgresql"] = run_backend(
                    "postgresql", url, lambda: seed_postgresql(dsn, homes),
                    args, homes, queries, ref, log,
                )  # fmt: skip
            else:
                app = create_app(app_config(url))
                with app.app_context():
                    db.create_all()
                    db.engine.dispose()
                seed_postgresql(dsn, homes)
            if "postgis" in backends:
                result["backends"]["postgis"] = run_postgis(dsn, args, queries, ref, log)

    pg, gis = result["backends"].get("postgresql", {}), result["backends"].get("postgis", {})
    if "fullscan_ms" in pg and "per_query_ms" in gis:
        # PostGIS against the PostgreSQL full scan: same server, same points.
        gis["speedup"] = _speedups(pg["fullscan_ms"], gis.pop("per_query_ms"))
    result["bars"] = evaluate_bars(result)
    result["machine"]["loadavg_end"] = os.getloadavg()
    result["elapsed_s"] = round(time.perf_counter() - began, 1)
    result["radius_module"] = radius_module.__file__
    ok = all(
        s.get("unexcused_mismatches", 0) == 0
        for b in result["backends"].values()
        for what in TIMED
        for s in b.get(what, {}).values()
        if isinstance(s, dict)
    ) and all(b.get("plan_uses_index") for b in result["backends"].values())
    result["ok"] = ok
    log("")
    log(table(result))
    log(f"bars: {json.dumps(result['bars'])}")
    log(f"all result sets identical to the reference and plans on the index: {ok}")
    log(f"elapsed {result['elapsed_s']} s")
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str))
    log(f"wrote {path}")
    return result


def run_postgis(
    dsn: str,
    args: argparse.Namespace,
    queries: list[tuple[float, float]],
    ref: Reference,
    log: Callable[[str], None],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        out["postgis_version"] = add_postgis(dsn)
    except psycopg.Error as exc:
        log(f"postgis: not available ({exc.__class__.__name__}: {exc}); skipped")
        return {"skipped": str(exc), "plan_uses_index": True}
    out["seed_s"] = round(time.perf_counter() - started, 1)
    log(f"postgis: geography copy and GIST index in {out['seed_s']} s")
    out["explain"] = {}
    for r in RADII_M:
        q = densest(ref, r)
        plan = explain_postgis(dsn, *queries[q], r)
        out["explain"][str(r)] = {"query": q, "homes_in_range": len(ref.ids[r][q]), "plan": plan}
    out["plan_uses_index"] = all(GIS_INDEX in e["plan"] for e in out["explain"].values())
    log(f"postgis: plan of the densest 2 km query:\n{_indent(out['explain']['2000']['plan'])}")
    series = time_postgis(dsn, queries, ref, args.runs)
    out["postgis"] = series.summary()
    out["per_query_ms"] = {str(r): series.per_query_median(r) for r in RADII_M}
    log(f"postgis: {_line(out['postgis'])}")
    return out


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
