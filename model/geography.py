"""The corridor raster: cells, land use, floor space, amenity, places and travel cost.

The map is data, not chance: it is built from the outlines in :mod:`model.geodata` and from the
map parameters only, with a fixed internal seed for the small jitter that breaks ties between
cells, so every replicate and every scenario runs on the same map.

Only land cells inside the four cities are model cells; sea and land outside the corridor are
kept in the raster for plotting. Distances use an equirectangular projection centred on the
corridor (error well under 1% across 2°).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.model import border, geodata
from corridor_abm.model.params import PerCity, param, per_city
from corridor_abm.model.state import HK, SZ

if TYPE_CHECKING:
    from corridor_abm.model.config import Config

KM_PER_DEG_LAT = 110.57
REFERENCE_LAT = 23.05
KM_PER_DEG_LON = 111.32 * float(np.cos(np.radians(REFERENCE_LAT)))

SEA, OUTSIDE = -2, -1
"""Raster codes for water and for land outside the corridor (cities are 0..3)."""

BUILT, RESERVE, PROTECTED = 0, 1, 2
LAND_USE_NAMES = ("built", "reserve", "protected")

_MAP_JITTER_SEED = 2018
"""Fixed seed of the tie-breaking jitter in land-use ranking (the map must not vary by run)."""


@dataclass
class MapParams:
    """Raster of the corridor and the land on it."""

    cell_km: float = param(2.0, "km", "Side of a square grid cell", lo=1.0, hi=5.0, source="run setting")
    built_share: PerCity = param(
        per_city(0.25, 0.50, 0.46, 0.09),
        "share of land",
        "Share of the city's land that is built up in 2018",
        "approx. public figure (construction-land totals; HK country parks ~40%)",
        lo=0.01,
        hi=0.95,
    )
    reserve_share: PerCity = param(
        per_city(0.03, 0.04, 0.08, 0.12),
        "share of land",
        "Share of the city's land that is developable reserve (new land can be built there)",
        "approx. public figure (seed 000: Shenzhen's land is nearly exhausted)",
        lo=0.0,
        hi=0.9,
    )
    urban_radius_km: float = param(6.0, "km", "Spread of built-up land around district centres", lo=1.0, hi=50.0)
    residential_m2_per_resident: PerCity = param(
        per_city(16.0, 28.0, 36.0, 40.0),
        "m² floor per resident",
        "Residential floor space per resident in 2018 (with the city's residents gives the stock)",
        "approx. public figure (HK living space ~16 m²/person; mainland city statistics)",
        lo=1.0,
        hi=200.0,
    )
    commercial_stock_m2: PerCity = param(
        per_city(9.0e7, 3.0e8, 3.5e8, 1.8e8),
        "m² floor",
        "Commercial and industrial floor space in 2018 (offices, R&D and factory buildings)",
        "approx. public figure",
        lo=1.0,
    )
    dense_kernel_max_cells: int = param(
        6000,
        "cells",
        "Largest map whose travel times and agglomeration and knowledge kernels are held as dense "
        "cell-by-cell matrices (4 bytes × cells² each: 68 MB at 2 km, 1.1 GB at 1 km); on a larger "
        "map travel times are computed for the pairs asked and the kernels are grid convolutions "
        "(model/kernels.py: the same values to float32 rounding)",
        source="run setting",
        lo=0,
        hi=100_000,
    )
    centrality_weight: float = param(
        1.0,
        "1",
        "How much more background demand a central built cell draws than a peripheral one",
        lo=0.0,
        hi=20.0,
    )


@dataclass
class TransportParams:
    """Travel cost between cells."""

    speed_kmh: float = param(40.0, "km/h", "Door-to-door travel speed within a city", "assumption", lo=1.0, hi=200.0)
    detour_factor: float = param(1.3, "1", "Network distance over straight-line distance", "assumption", lo=1.0, hi=3.0)
    speedup_hk_sz: float = param(
        1.0,
        "× speed",
        "Speed multiplier for trips between Hong Kong and Shenzhen (rail links)",
        lo=0.1,
        hi=10.0,
    )
    speedup_sz_dg: float = param(
        1.0, "× speed", "Speed multiplier for trips between Shenzhen and Dongguan", lo=0.1, hi=10.0
    )
    speedup_sz_hz: float = param(
        1.0, "× speed", "Speed multiplier for trips between Shenzhen and Huizhou", lo=0.1, hi=10.0
    )
    speedup_dg_hz: float = param(
        1.0, "× speed", "Speed multiplier for trips between Dongguan and Huizhou", lo=0.1, hi=10.0
    )
    haul_cost_per_hour: float = param(
        0.001,
        "share of traded value per hour",
        "Cost of hauling traded goods to a border crossing, per hour of driving (freight and the "
        "time cost of goods in transit)",
        "approx. public figure (Hummels & Schaur 2013: 0.6–2.1% of value per day in transit; "
        "road freight ≈ ¥4 per truck-km)",
        lo=0.0,
        hi=0.1,
    )
    border_crossing_minutes: float = param(
        30.0,
        "minutes",
        "Time lost at an HK–mainland land crossing (queues, customs), per one-way trip",
        "approx. public figure (seed 001: >450k crossings a day)",
        lo=0.0,
        hi=600.0,
    )


def lonlat_to_km(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project lon/lat (degrees) to km east and north of the map's south-west corner."""
    x = (np.asarray(lon) - geodata.BOUNDING_BOX["lon_min"]) * KM_PER_DEG_LON
    y = (np.asarray(lat) - geodata.BOUNDING_BOX["lat_min"]) * KM_PER_DEG_LAT
    return x, y


def km_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`lonlat_to_km`."""
    lon = np.asarray(x) / KM_PER_DEG_LON + geodata.BOUNDING_BOX["lon_min"]
    lat = np.asarray(y) / KM_PER_DEG_LAT + geodata.BOUNDING_BOX["lat_min"]
    return lon, lat


def points_in_polygon(px: np.ndarray, py: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Even–odd test of points against one polygon ring.

    Args:
        px: x of the points.
        py: y of the points (same shape as ``px``).
        ring: (k, 2) vertices, not closed.

    Returns:
        Boolean array, True where the point is inside.
    """
    inside = np.zeros(np.shape(px), dtype=bool)
    xs, ys = ring[:, 0], ring[:, 1]
    xj, yj = xs[-1], ys[-1]
    for xi, yi in zip(xs, ys):
        crosses = (yi > py) != (yj > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = (xj - xi) * (py - yi) / (yj - yi) + xi
        inside ^= crosses & (px < x_cross)
        xj, yj = xi, yi
    return inside


def polygon_area_km2(ring: list[tuple[float, float]]) -> float:
    """Area of a lon/lat ring in km² (shoelace formula on the projection)."""
    x, y = lonlat_to_km(np.array([p[0] for p in ring]), np.array([p[1] for p in ring]))
    return float(0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


@dataclass
class CorridorMap:
    """Cells of the corridor and their fixed attributes.

    Per-cell arrays have one entry per model cell (land inside one of the four cities), in
    raster order. ``raster`` covers the whole bounding box for plotting.
    """

    cell_km: float
    nx: int
    ny: int
    raster: np.ndarray  # (ny, nx) int8: SEA, OUTSIDE or city index
    raster_index: np.ndarray  # (n,) flat raster index of each model cell
    city: np.ndarray  # (n,) int8 city index (geodata.CITY_CODES order)
    x_km: np.ndarray  # (n,) cell centre, km east of the map origin
    y_km: np.ndarray  # (n,) cell centre, km north of the map origin
    land_use: np.ndarray  # (n,) int8 BUILT / RESERVE / PROTECTED
    centrality: np.ndarray  # (n,) 0–1 urban intensity within the city
    firm_attraction: np.ndarray  # (n,) 0–1 closeness to the city's firm clusters
    district: np.ndarray  # (n,) int16 index into district_names
    district_names: list[str]
    place: np.ndarray  # (n,) int16 index into place_names, -1 where none
    place_names: list[str]
    special_zone: np.ndarray  # (n,) int8 index into special_zone_names, -1 where none
    special_zone_names: list[str]
    research_strength: np.ndarray  # (n,) strength of universities and labs in the cell
    crossing_xy: np.ndarray  # (k, 2) border crossings, km
    crossing_names: list[str]

    @property
    def n_cells(self) -> int:
        """Number of model cells."""
        return int(self.city.size)

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell in km²."""
        return self.cell_km**2

    @property
    def lon(self) -> np.ndarray:
        """Longitude of cell centres."""
        return km_to_lonlat(self.x_km, self.y_km)[0]

    @property
    def lat(self) -> np.ndarray:
        """Latitude of cell centres."""
        return km_to_lonlat(self.x_km, self.y_km)[1]

    def land_area_km2(self) -> np.ndarray:
        """Land area of each city on the grid, km², in city order."""
        return np.bincount(self.city, minlength=4) * self.cell_area_km2

    def cells_of(self, city: int) -> np.ndarray:
        """Indices of the cells of one city."""
        return np.flatnonzero(self.city == city)

    def nearest_cell(self, lon: float, lat: float, city: int | None = None) -> int:
        """The model cell nearest to a point, optionally within one city."""
        x, y = lonlat_to_km(np.array(lon), np.array(lat))
        d = (self.x_km - x) ** 2 + (self.y_km - y) ** 2
        if city is not None:
            d = np.where(self.city == city, d, np.inf)
        return int(np.argmin(d))

    def to_raster(self, values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        """Spread per-cell values onto the (ny, nx) raster (sea and outside get ``fill``)."""
        grid = np.full(self.nx * self.ny, fill, dtype=float)
        grid[self.raster_index] = values
        return grid.reshape(self.ny, self.nx)


def _rasterise(cell_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bb = geodata.BOUNDING_BOX
    width, height = lonlat_to_km(np.array(bb["lon_max"]), np.array(bb["lat_max"]))
    nx, ny = int(np.ceil(width / cell_km)), int(np.ceil(height / cell_km))
    xc = (np.arange(nx) + 0.5) * cell_km
    yc = (np.arange(ny) + 0.5) * cell_km
    gx, gy = np.meshgrid(xc, yc)
    raster = np.full((ny, nx), OUTSIDE, dtype=np.int8)
    sea = np.array([lonlat_to_km(np.array(p[0]), np.array(p[1])) for p in geodata.SEA_POLYGON])
    raster[points_in_polygon(gx, gy, sea)] = SEA
    for city_index, code in enumerate(geodata.CITY_CODES):
        for ring in geodata.CITY_POLYGONS[code]:
            xy = np.array([lonlat_to_km(np.array(p[0]), np.array(p[1])) for p in ring])
            raster[points_in_polygon(gx, gy, xy)] = city_index
    return raster, gx, gy


def _gaussian_score(
    x: np.ndarray, y: np.ndarray, centres: np.ndarray, weights: np.ndarray, radius_km: float
) -> np.ndarray:
    d2 = (x[:, None] - centres[None, :, 0]) ** 2 + (y[:, None] - centres[None, :, 1]) ** 2
    return (np.exp(-d2 / (2.0 * radius_km**2)) * weights[None, :]).sum(axis=1)


def build_map(params: MapParams) -> CorridorMap:
    """Rasterise the corridor and give each cell its land use, districts and places.

    Args:
        params: The map parameters.

    Returns:
        The corridor map.
    """
    raster, gx, gy = _rasterise(params.cell_km)
    ny, nx = raster.shape
    flat = raster.ravel()
    raster_index = np.flatnonzero(flat >= 0)
    city = flat[raster_index].astype(np.int8)
    x, y = gx.ravel()[raster_index], gy.ravel()[raster_index]
    n = city.size

    district_names = list(geodata.DISTRICTS)
    d_city = np.array([geodata.CITY_CODES.index(v[0]) for v in geodata.DISTRICTS.values()])
    d_xy = np.array([lonlat_to_km(np.array(v[1]), np.array(v[2])) for v in geodata.DISTRICTS.values()])
    d_firm = np.array([v[3] for v in geodata.DISTRICTS.values()])
    d_res = np.array([v[4] for v in geodata.DISTRICTS.values()])

    jitter = np.random.default_rng(_MAP_JITTER_SEED).uniform(0.0, 1e-3, n)
    land_use = np.full(n, PROTECTED, dtype=np.int8)
    centrality = np.zeros(n)
    firm_attraction = np.zeros(n)
    district = np.zeros(n, dtype=np.int16)
    built = params.built_share.as_list()
    reserve = params.reserve_share.as_list()
    for c in range(4):
        cells = np.flatnonzero(city == c)
        own = np.flatnonzero(d_city == c)
        res_score = _gaussian_score(x[cells], y[cells], d_xy[own], d_res[own], params.urban_radius_km)
        firm_score = _gaussian_score(x[cells], y[cells], d_xy[own], d_firm[own], params.urban_radius_km)
        score = res_score + firm_score + jitter[cells]
        order = cells[np.argsort(-score, kind="stable")]
        n_built = max(1, int(round(built[c] * cells.size)))
        n_reserve = int(round(reserve[c] * cells.size))
        land_use[order[:n_built]] = BUILT
        land_use[order[n_built : n_built + n_reserve]] = RESERVE
        centrality[cells] = res_score / res_score.max()
        firm_attraction[cells] = firm_score / firm_score.max()
        d2 = (x[cells, None] - d_xy[own, 0]) ** 2 + (y[cells, None] - d_xy[own, 1]) ** 2
        district[cells] = own[np.argmin(d2, axis=1)]

    cm = CorridorMap(
        cell_km=params.cell_km,
        nx=nx,
        ny=ny,
        raster=raster,
        raster_index=raster_index,
        city=city,
        x_km=x,
        y_km=y,
        land_use=land_use,
        centrality=centrality,
        firm_attraction=firm_attraction,
        district=district,
        district_names=district_names,
        place=np.full(n, -1, dtype=np.int16),
        place_names=list(geodata.NAMED_PLACES),
        special_zone=np.full(n, -1, dtype=np.int8),
        special_zone_names=list(geodata.SPECIAL_ZONES),
        research_strength=np.zeros(n),
        crossing_xy=np.array(
            [lonlat_to_km(np.array(lo), np.array(la)) for lo, la in geodata.BORDER_CROSSINGS.values()]
        ),
        crossing_names=list(geodata.BORDER_CROSSINGS),
    )
    for k, (code, lon, lat) in enumerate(geodata.NAMED_PLACES.values()):
        cm.place[cm.nearest_cell(lon, lat, geodata.CITY_CODES.index(code))] = k
    sz = geodata.CITY_CODES.index("SZ")
    for k, (lon, lat, radius) in enumerate(geodata.SPECIAL_ZONES.values()):
        zx, zy = lonlat_to_km(np.array(lon), np.array(lat))
        within = ((x - zx) ** 2 + (y - zy) ** 2 <= radius**2) & (city == sz)
        within[cm.nearest_cell(lon, lat, sz)] = True
        cm.special_zone[within] = k
    for code, lon, lat, strength in geodata.RESEARCH_SOURCES.values():
        cm.research_strength[cm.nearest_cell(lon, lat, geodata.CITY_CODES.index(code))] += strength
    return cm


def initial_floor_space(cmap: CorridorMap, cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """Commercial and residential floor space per cell in 2018 (m²).

    The city stocks (map parameters and residents) are spread over built cells in proportion
    to closeness to firm clusters (commercial) or to residential districts (residential), with a
    floor so that peripheral built cells hold some space. Reserve and protected cells start
    empty; new land arrives on reserve cells (and by renewal on built cells).

    Args:
        cmap: The map.
        cfg: The configuration.

    Returns:
        (commercial_m2, residential_m2), each of shape (n_cells,).
    """
    commercial = np.zeros(cmap.n_cells)
    residential = np.zeros(cmap.n_cells)
    stock_com = cfg.map.commercial_stock_m2.as_list()
    stock_res = [r * m for r, m in zip(cfg.economy.residents.as_list(), cfg.map.residential_m2_per_resident.as_list())]
    built = cmap.land_use == BUILT
    for c in range(4):
        cells = np.flatnonzero((cmap.city == c) & built)
        w_com = 0.15 + cmap.firm_attraction[cells]
        w_res = 0.15 + cmap.centrality[cells]
        commercial[cells] = stock_com[c] * w_com / w_com.sum()
        residential[cells] = stock_res[c] * w_res / w_res.sum()
    return commercial, residential


def speedup_matrix(transport: TransportParams) -> np.ndarray:
    """4×4 speed multipliers between cities (HK–DG and HK–HZ trips run via Shenzhen)."""
    s = np.ones((4, 4))
    hk, sz, dg, hz = range(4)
    pairs = {
        (hk, sz): transport.speedup_hk_sz,
        (hk, dg): transport.speedup_hk_sz,
        (hk, hz): transport.speedup_hk_sz,
        (sz, dg): transport.speedup_sz_dg,
        (sz, hz): transport.speedup_sz_hz,
        (dg, hz): transport.speedup_dg_hz,
    }
    for (a, b), v in pairs.items():
        s[a, b] = s[b, a] = v
    return s


def travel_minutes(
    cmap: CorridorMap,
    transport: TransportParams,
    src: np.ndarray,
    dst: np.ndarray,
) -> np.ndarray:
    """One-way travel time between cells, minutes (element-wise, broadcasting).

    Trips between Hong Kong and the mainland go through the nearest useful land crossing and
    pay the crossing time (:mod:`model.border`); trips between cities run at the inter-city
    speed multiplier.

    Args:
        cmap: The map.
        transport: Transport parameters.
        src: Origin cell indices.
        dst: Destination cell indices (broadcast against ``src``).

    Returns:
        float32 minutes, of the broadcast shape.
    """
    x = cmap.x_km.astype(np.float32)
    y = cmap.y_km.astype(np.float32)
    src, dst = np.asarray(src), np.asarray(dst)
    dist = np.hypot(x[src] - x[dst], y[src] - y[dst])
    cs, cd = cmap.city[src], cmap.city[dst]
    crossing = border.crosses(cs, cd)
    if crossing.any():
        s_b, d_b = np.broadcast_arrays(src, dst)
        dist[crossing] = border.via_crossing_km(cmap, x, y, s_b[crossing], d_b[crossing])
    # a trip within one cell still takes time: half a cell at the city speed
    np.maximum(dist, np.float32(0.5 * cmap.cell_km), out=dist)
    minutes_per_km = (60.0 * transport.detour_factor / transport.speed_kmh) / speedup_matrix(transport)
    minutes = dist * minutes_per_km.astype(np.float32)[cs, cd]
    if crossing.any():
        minutes += border.crossing_delay(transport, crossing)
    return minutes.astype(np.float32, copy=False)


def travel_matrix(cmap: CorridorMap, transport: TransportParams) -> np.ndarray:
    """Dense (n, n) float32 matrix of one-way travel minutes between all model cells."""
    idx = np.arange(cmap.n_cells)
    return travel_minutes(cmap, transport, idx[:, None], idx[None, :])


def dense_kernels(cmap: CorridorMap, params: MapParams) -> bool:
    """True if the map is small enough for dense cell-by-cell matrices (``map.dense_kernel_max_cells``)."""
    return cmap.n_cells <= params.dense_kernel_max_cells


def haul_minutes(cmap: CorridorMap, transport: TransportParams) -> np.ndarray:
    """Minutes by road from each cell to its nearest land crossing, at the speed of its trip:
    mainland cells drive to the Shenzhen side (with the speed-up between their city and
    Shenzhen), Hong Kong cells to the Hong Kong side.

    Returns:
        (n_cells,) minutes.
    """
    km = np.min(
        np.hypot(cmap.x_km[:, None] - cmap.crossing_xy[None, :, 0], cmap.y_km[:, None] - cmap.crossing_xy[None, :, 1]),
        axis=1,
    )
    side = np.where(cmap.city == HK, HK, SZ)
    speedup = speedup_matrix(transport)[cmap.city, side]
    return km * transport.detour_factor / transport.speed_kmh * 60.0 / speedup


def amenity_index(cmap: CorridorMap, services: np.ndarray) -> np.ndarray:
    """Amenity of each cell, 0–1: urban centrality and the city's public services.

    Args:
        cmap: The map.
        services: Public-service index per city (0–1), from school places and hospital beds.

    Returns:
        Amenity per cell.
    """
    return 0.5 * cmap.centrality + 0.5 * np.asarray(services)[cmap.city]


# --------------------------------------------------------------------------------------------
# the designated cross-city parks (lever L1)

PARK_PLACES = ("Songshan Lake", "Binhai Bay", "Zhongkai Hi-Tech Zone", "Daya Bay")
"""Designated parks for Shenzhen firms in Dongguan and Huizhou (lever L1, cross-city land)."""
PARK_RADIUS_KM = 5.0


def park_cells(cmap: CorridorMap) -> np.ndarray:
    """Boolean mask of the cells of the designated cross-city parks (not on protected land)."""
    return park_mask(cmap.x_km, cmap.y_km, cmap.city, cmap.land_use == PROTECTED)


def park_mask(x_km: np.ndarray, y_km: np.ndarray, city: np.ndarray, protected: np.ndarray) -> np.ndarray:
    """Cells within ``PARK_RADIUS_KM`` of a designated park's named place, in its city, not on
    protected land.

    Args:
        x_km, y_km: Cell centres in map km.
        city: City index of each cell.
        protected: True for protected land.

    Returns:
        Boolean mask per cell.
    """
    mask = np.zeros(np.shape(x_km), dtype=bool)
    for name in PARK_PLACES:
        code, lon, lat = geodata.NAMED_PLACES[name]
        x, y = lonlat_to_km(np.array(lon), np.array(lat))
        near = np.hypot(x_km - x, y_km - y) <= PARK_RADIUS_KM
        mask |= near & (city == geodata.CITY_CODES.index(code))
    return mask & ~protected
