"""The map: areas, places, borders and travel times."""

from __future__ import annotations

import numpy as np
import pytest

from corridor_abm.model import geodata
from corridor_abm.model.geography import (
    BUILT,
    MapParams,
    TransportParams,
    build_map,
    lonlat_to_km,
    points_in_polygon,
    travel_minutes,
)


@pytest.fixture(scope="module")
def cmap():
    return build_map(MapParams())


@pytest.mark.parametrize("cell_km", [1.5, 2.0])
def test_city_areas_within_ten_percent_of_official(cell_km):
    areas = build_map(MapParams(cell_km=cell_km)).land_area_km2()
    for code, area in zip(geodata.CITY_CODES, areas):
        official = geodata.OFFICIAL_LAND_AREA_KM2[code]
        assert abs(area / official - 1) <= 0.10, f"{code}: {area:.0f} km² vs {official:.0f} km²"


def test_named_places_fall_in_their_city(cmap):
    """Every place lies on (or, for places on the Shenzhen River such as Hetao, right by) land
    of its city, and its labelled cell is in that city."""
    for k, (name, (code, lon, lat)) in enumerate(geodata.NAMED_PLACES.items()):
        city = geodata.CITY_CODES.index(code)
        cell = cmap.nearest_cell(lon, lat, city)
        x, y = lonlat_to_km(np.array(lon), np.array(lat))
        dist = np.hypot(cmap.x_km[cell] - x, cmap.y_km[cell] - y)
        assert dist <= 1.5 * cmap.cell_km, f"{name} is {dist:.1f} km from the nearest land cell of {code}"
        assert cmap.city[cmap.place == k].tolist() == [city], name


def test_border_crossings_sit_between_hong_kong_and_shenzhen(cmap):
    for name, (lon, lat) in geodata.BORDER_CROSSINGS.items():
        x, y = lonlat_to_km(np.array(lon), np.array(lat))
        d = np.hypot(cmap.x_km - x, cmap.y_km - y)
        near = cmap.city[d <= 4.0]
        assert 0 in near and 1 in near, f"{name} is not on the HK–SZ border"


def test_sea_is_not_land(cmap):
    # Tolo Harbour, Shenzhen Bay, Daya Bay and the Pearl River estuary are water
    for lon, lat in [(114.26, 22.46), (113.90, 22.455), (114.68, 22.65), (113.75, 22.45)]:
        x, y = lonlat_to_km(np.array(lon), np.array(lat))
        ix, iy = int(x // cmap.cell_km), int(y // cmap.cell_km)
        assert cmap.raster[iy, ix] < 0


def test_every_city_has_built_and_protected_land(cmap):
    for c in range(4):
        uses = set(cmap.land_use[cmap.city == c].tolist())
        assert BUILT in uses and len(uses) >= 2


def test_point_in_polygon_square():
    ring = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    inside = points_in_polygon(np.array([0.5, 1.5, -0.1]), np.array([0.5, 0.5, 0.5]), ring)
    assert inside.tolist() == [True, False, False]


def test_travel_times_are_positive_and_cross_the_border_at_a_cost(cmap):
    transport = TransportParams()
    central = cmap.nearest_cell(114.16, 22.28, 0)
    futian = cmap.nearest_cell(114.06, 22.54, 1)
    songshan = cmap.nearest_cell(113.89, 22.92, 2)
    t = travel_minutes(cmap, transport, np.array([central, futian, futian]), np.array([futian, central, songshan]))
    assert (t > 0).all() and t[0] == pytest.approx(t[1])
    no_border = TransportParams(border_crossing_minutes=0.0)
    t0 = travel_minutes(cmap, no_border, np.array([central]), np.array([futian]))
    assert t[0] - t0[0] == pytest.approx(transport.border_crossing_minutes, rel=1e-4)


def test_speed_up_between_cities_shortens_trips(cmap):
    futian = cmap.nearest_cell(114.06, 22.54, 1)
    songshan = cmap.nearest_cell(113.89, 22.92, 2)
    slow = travel_minutes(cmap, TransportParams(), np.array([futian]), np.array([songshan]))[0]
    fast = travel_minutes(cmap, TransportParams(speedup_sz_dg=2.0), np.array([futian]), np.array([songshan]))[0]
    assert fast == pytest.approx(slow / 2.0, rel=1e-5)


def test_travel_between_reads_the_same_entries_as_the_matrix():
    """``Travel.between`` reads the dense matrix by a flat take (a speed-up); it must return
    exactly ``minutes[a, b]`` for vectors, broadcast columns, scalars and numpy's negative
    indices alike."""
    from corridor_abm.model.state import Travel

    rng = np.random.default_rng(0)
    minutes = rng.random((37, 37)).astype(np.float32)
    travel = Travel(minutes=minutes, agg_kernel=None)
    a, b = rng.integers(0, 37, 500), rng.integers(0, 37, 500)
    cases = [
        (a, b),
        (a[:, None], rng.integers(0, 37, (500, 6))),
        (5, b),
        (a.astype(np.int32), b.astype(np.int32)),
        (np.array([-1, 3, -37]), np.array([2, -1, 0])),
        (np.array([], dtype=int), np.array([], dtype=int)),
    ]
    for x, y in cases:
        got = travel.between(x, y)
        assert got.dtype == np.float32 and got.shape == minutes[x, y].shape
        assert np.array_equal(got, minutes[x, y])
