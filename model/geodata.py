"""Hand-drawn geography of the corridor: city outlines, sea, borders, places.

No GIS download is possible where this project is built, so every outline here is an approximate
polygon in (longitude, latitude), drawn from the places listed in
``shared/docs/model-brief.md`` and tuned so that each city's rasterised land area falls within
±10% of its official figure (checked by ``tests/test_geography.py``). Shared borders are written
once, as polylines, and used by both neighbours so that no gap or overlap opens between them.

All coordinates are (lon, lat) in degrees, WGS84.
"""

from __future__ import annotations

CITY_CODES: tuple[str, ...] = ("HK", "SZ", "DG", "HZ")
"""City codes in their fixed index order: Hong Kong, Shenzhen, Dongguan, Huizhou."""

CITY_NAMES: dict[str, str] = {
    "HK": "Hong Kong",
    "SZ": "Shenzhen",
    "DG": "Dongguan",
    "HZ": "Huizhou",
}

OFFICIAL_LAND_AREA_KM2: dict[str, float] = {
    "HK": 1110.0,  # HK Lands Department, approximate public figure (model-brief.md)
    "SZ": 1997.0,  # seed 000_c3879d280a9fce80.txt ("深圳的总面积只有1 997 km2")
    "DG": 2460.0,  # approximate public figure (seed-digest.md §3)
    "HZ": 11350.0,  # approximate public figure (seed-digest.md §3)
}

BOUNDING_BOX = {"lon_min": 113.50, "lon_max": 115.45, "lat_min": 22.15, "lat_max": 23.95}
"""Map extent from model-brief.md."""

# --- shared borders (polylines) --------------------------------------------------------------
# Shenzhen River border, Shenzhen Bay (west) to Sha Tau Kok / Starling Inlet (east).
BORDER_HK_SZ: list[tuple[float, float]] = [
    (114.010, 22.512),
    (114.040, 22.508),
    (114.070, 22.513),
    (114.095, 22.527),
    (114.115, 22.535),
    (114.140, 22.548),
    (114.165, 22.562),
    (114.195, 22.556),
    (114.225, 22.548),
]
# Shenzhen–Dongguan border, estuary coast (west) to the SZ–DG–HZ junction near Fenggang (east).
BORDER_SZ_DG: list[tuple[float, float]] = [
    (113.755, 22.760),
    (113.800, 22.780),
    (113.850, 22.820),
    (113.900, 22.815),
    (113.950, 22.780),
    (114.000, 22.745),
    (114.060, 22.720),
    (114.110, 22.705),
    (114.160, 22.725),
    (114.200, 22.755),
]
# Shenzhen–Huizhou border, from the junction east to the Daya Bay coast north of Dapeng.
BORDER_SZ_HZ: list[tuple[float, float]] = [
    (114.200, 22.755),
    (114.260, 22.790),
    (114.330, 22.810),
    (114.390, 22.815),
    (114.440, 22.780),
    (114.490, 22.730),
    (114.540, 22.680),
    (114.575, 22.650),
]
# Dongguan–Huizhou border, from the junction north to the East River (Dongjiang) near Shilong.
BORDER_DG_HZ: list[tuple[float, float]] = [
    (114.200, 22.755),
    (114.240, 22.830),
    (114.235, 22.900),
    (114.190, 22.970),
    (114.130, 23.030),
    (114.060, 23.080),
    (113.980, 23.120),
]


def _reverse(line: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return list(reversed(line))


# --- city outlines ---------------------------------------------------------------------------
# Hong Kong: New Territories and Kowloon (bordering Shenzhen), Hong Kong Island, Lantau.
_HK_MAINLAND: list[tuple[float, float]] = (
    [
        (113.900, 22.395),  # Lung Kwu Tan, north-west New Territories
        (113.925, 22.455),  # Pak Nai
        (113.975, 22.490),  # Tsim Bei Tsui
    ]
    + BORDER_HK_SZ
    + [
        (114.265, 22.555),  # Starling Inlet
        (114.300, 22.530),  # Plover Cove
        (114.255, 22.480),
        (114.195, 22.450),  # Tolo Harbour, Tai Po
        (114.225, 22.425),  # Ma On Shan
        (114.270, 22.430),
        (114.330, 22.445),  # Sai Kung north shore
        (114.385, 22.415),  # Sai Kung East country park
        (114.360, 22.355),  # High Island
        (114.300, 22.370),  # Port Shelter, Sai Kung town
        (114.290, 22.320),
        (114.300, 22.270),  # Clear Water Bay
        (114.255, 22.290),
        (114.220, 22.300),  # Lei Yue Mun, Kwun Tong
        (114.170, 22.292),  # Tsim Sha Tsui
        (114.145, 22.320),  # West Kowloon
        (114.095, 22.335),  # Tsing Yi
        (114.040, 22.355),  # Sham Tseng, Tsuen Wan
        (113.975, 22.360),  # Tuen Mun
        (113.920, 22.370),
    ]
)
_HK_ISLAND: list[tuple[float, float]] = [
    (114.120, 22.281),
    (114.155, 22.285),
    (114.194, 22.287),
    (114.233, 22.276),
    (114.255, 22.246),
    (114.242, 22.211),
    (114.198, 22.207),
    (114.155, 22.229),
    (114.120, 22.250),
]
_HK_LANTAU: list[tuple[float, float]] = [
    (113.856, 22.232),
    (113.885, 22.273),
    (113.913, 22.309),  # Chek Lap Kok airport
    (113.958, 22.313),
    (114.006, 22.309),
    (114.039, 22.289),
    (114.030, 22.252),
    (113.982, 22.224),
    (113.925, 22.208),
    (113.877, 22.212),
]

_SZ: list[tuple[float, float]] = (
    [
        (113.905, 22.480),  # Shekou
        (113.935, 22.495),
        (113.965, 22.515),  # Shenzhen Bay (SZ shore)
        (113.990, 22.518),
    ]
    + BORDER_HK_SZ
    + [
        (114.255, 22.565),  # Yantian
        (114.300, 22.590),  # Xiaomeisha
        (114.360, 22.600),
        (114.420, 22.570),  # Dapeng Bay
        (114.465, 22.540),
        (114.500, 22.480),
        (114.550, 22.455),  # south tip of the Dapeng peninsula
        (114.600, 22.495),
        (114.610, 22.560),
        (114.600, 22.620),  # Daya Bay shore of Dapeng
    ]
    + _reverse(BORDER_SZ_HZ)
    + _reverse(BORDER_SZ_DG)
    + [
        (113.770, 22.700),  # Bao'an coast, Shajing
        (113.795, 22.640),  # Shenzhen airport
        (113.835, 22.580),  # Xixiang
        (113.875, 22.540),  # Qianhai
        (113.880, 22.500),
    ]
)

_DG: list[tuple[float, float]] = (
    BORDER_SZ_DG
    + BORDER_DG_HZ
    + [
        (113.900, 23.140),  # East River, Shilong
        (113.800, 23.150),
        (113.700, 23.135),
        (113.610, 23.110),
        (113.545, 23.060),  # Mayong, west tip
        (113.555, 22.980),  # Hongmei
        (113.600, 22.890),  # Shatian
        (113.640, 22.820),  # Humen
        (113.680, 22.780),  # Binhai Bay
        (113.720, 22.765),  # Chang'an coast
    ]
)

_HZ: list[tuple[float, float]] = (
    _reverse(BORDER_DG_HZ)
    + BORDER_SZ_HZ
    + [
        (114.620, 22.720),  # Aotou, head of Daya Bay
        (114.660, 22.780),
        (114.720, 22.760),
        (114.760, 22.680),  # Daya Bay east shore
        (114.840, 22.620),
        (114.930, 22.600),  # Pinghai
        (115.030, 22.660),
        (115.130, 22.700),
        (115.250, 22.760),
        (115.360, 22.790),  # Huidong coast, Shanwei border
        (115.430, 22.900),
        (115.380, 23.060),
        (115.178, 23.155),
        (115.005, 23.227),  # Huidong north
        (114.860, 23.318),
        (114.714, 23.409),
        (114.587, 23.491),  # Boluo north, Heyuan border
        (114.459, 23.610),
        (114.350, 23.737),
        (114.222, 23.828),  # Longmen north
        (114.095, 23.792),
        (114.013, 23.701),
        (113.940, 23.555),  # Longmen west, Conghua border
        (113.950, 23.391),
        (113.977, 23.236),  # Zengcheng border
    ]
)

CITY_POLYGONS: dict[str, list[list[tuple[float, float]]]] = {
    "HK": [_HK_MAINLAND, _HK_ISLAND, _HK_LANTAU],
    "SZ": [_SZ],
    "DG": [_DG],
    "HZ": [_HZ],
}

# Sea and estuary. Cities take precedence over the sea where the outlines overlap, so this
# outline only needs to follow the shore where land outside the corridor meets the water: the
# west shore of the Pearl River estuary (Nansha, Zhongshan) and the Shanwei coast in the east.
SEA_POLYGON: list[tuple[float, float]] = [
    (113.500, 22.150),
    (115.450, 22.150),
    (115.450, 22.800),
    (115.380, 22.800),
    (114.900, 22.660),
    (114.760, 22.780),  # Daya Bay
    (114.640, 22.800),
    (114.580, 22.680),
    (114.300, 22.600),
    (113.950, 22.560),
    (113.800, 22.700),
    (113.700, 22.830),
    (113.640, 22.900),
    (113.600, 22.980),
    (113.575, 22.900),
    (113.590, 22.780),
    (113.600, 22.650),  # Nansha shore (outside the corridor)
    (113.580, 22.520),
    (113.560, 22.400),
    (113.520, 22.300),
    (113.500, 22.280),
]

BORDER_CROSSINGS: dict[str, tuple[float, float]] = {
    "Shenzhen Bay": (113.950, 22.500),
    "Futian / Lok Ma Chau": (114.070, 22.515),
    "Lo Wu": (114.110, 22.530),
    "Heung Yuen Wai": (114.160, 22.565),
    "Sha Tau Kok": (114.220, 22.545),
}
"""HK–Shenzhen land crossings (model-brief.md), (lon, lat)."""

NAMED_PLACES: dict[str, tuple[str, float, float]] = {
    # name: (city, lon, lat) — from model-brief.md
    "Nanshan Hi-Tech Park": ("SZ", 113.95, 22.54),
    "Futian CBD": ("SZ", 114.06, 22.54),
    "Qianhai": ("SZ", 113.90, 22.52),
    "Hetao / Lok Ma Chau Loop": ("SZ", 114.08, 22.51),
    "Huawei Bantian": ("SZ", 114.06, 22.65),
    "SUSTech": ("SZ", 114.00, 22.60),
    "Songshan Lake": ("DG", 113.89, 22.92),
    "Binhai Bay": ("DG", 113.68, 22.78),
    "Neutron Science City": ("DG", 113.96, 22.93),
    "Dongguan centre": ("DG", 113.75, 23.02),
    "Zhongkai Hi-Tech Zone": ("HZ", 114.33, 23.03),
    "Huizhou centre": ("HZ", 114.41, 23.11),
    "Daya Bay": ("HZ", 114.55, 22.75),
    "HK Science Park": ("HK", 114.21, 22.43),
    "HKUST": ("HK", 114.26, 22.34),
    "HKU": ("HK", 114.14, 22.28),
    "CUHK": ("HK", 114.21, 22.42),
    "Central": ("HK", 114.16, 22.28),
}
"""Places a person from the region would look for on the map, (city, lon, lat)."""

# Districts: (city, lon, lat, share of the city's firms, share of its residents).
# Firm shares follow where the real clusters are (Nanshan, Futian, Bao'an and Longhua in SZ;
# Songshan Lake and the town centres in DG; Zhongkai in HZ; Science Park, Cyberport and Kowloon
# East in HK), approximate public figures; see docs/parameters.md (initial placement).
DISTRICTS: dict[str, tuple[str, float, float, float, float]] = {
    # Hong Kong
    "Central & Western": ("HK", 114.155, 22.280, 0.22, 0.09),
    "Kowloon": ("HK", 114.180, 22.320, 0.30, 0.30),
    "Sha Tin / Science Park": ("HK", 114.200, 22.400, 0.25, 0.17),
    "Tsuen Wan / Kwai Tsing": ("HK", 114.110, 22.365, 0.10, 0.14),
    "Tuen Mun / Yuen Long": ("HK", 114.010, 22.420, 0.05, 0.20),
    "Tai Po / North": ("HK", 114.160, 22.480, 0.03, 0.07),
    "Lantau": ("HK", 113.950, 22.290, 0.01, 0.02),
    "Cyberport / Southern": ("HK", 114.140, 22.250, 0.04, 0.01),
    # Shenzhen
    "Nanshan": ("SZ", 113.940, 22.540, 0.30, 0.12),
    "Futian": ("SZ", 114.055, 22.545, 0.14, 0.12),
    "Luohu": ("SZ", 114.130, 22.555, 0.05, 0.08),
    "Bao'an": ("SZ", 113.860, 22.620, 0.18, 0.25),
    "Longhua": ("SZ", 114.040, 22.670, 0.12, 0.13),
    "Longgang": ("SZ", 114.230, 22.690, 0.12, 0.19),
    "Guangming": ("SZ", 113.920, 22.760, 0.04, 0.05),
    "Pingshan": ("SZ", 114.340, 22.720, 0.03, 0.04),
    "Yantian / Dapeng": ("SZ", 114.360, 22.600, 0.02, 0.02),
    # Dongguan
    "Songshan Lake": ("DG", 113.890, 22.920, 0.25, 0.05),
    "Dongguan centre": ("DG", 113.750, 23.020, 0.18, 0.20),
    "Chang'an / Humen": ("DG", 113.750, 22.830, 0.17, 0.20),
    "Tangxia / Fenggang": ("DG", 114.070, 22.790, 0.14, 0.15),
    "Dalang / Huangjiang": ("DG", 113.960, 22.860, 0.12, 0.15),
    "Shilong / Shipai": ("DG", 113.900, 23.090, 0.07, 0.15),
    "Binhai Bay": ("DG", 113.680, 22.800, 0.07, 0.10),
    # Huizhou
    "Zhongkai": ("HZ", 114.330, 23.030, 0.35, 0.15),
    "Huicheng": ("HZ", 114.410, 23.100, 0.20, 0.25),
    "Huiyang": ("HZ", 114.450, 22.800, 0.15, 0.17),
    "Daya Bay": ("HZ", 114.550, 22.750, 0.12, 0.08),
    "Boluo": ("HZ", 114.290, 23.170, 0.10, 0.18),
    "Huidong": ("HZ", 114.720, 22.980, 0.05, 0.12),
    "Longmen": ("HZ", 114.260, 23.730, 0.03, 0.05),
}
"""District centres: (city, lon, lat, share of the city's firms, share of its residents)."""

SPECIAL_ZONES: dict[str, tuple[float, float, float]] = {
    # name: (lon, lat, radius in km) — HK–SZ cooperation zones (seeds 001, 003, 004)
    "Qianhai": (113.895, 22.520, 4.0),
    "Hetao": (114.080, 22.512, 3.0),
}
"""Cooperation zones where cross-border frictions can be set lower (digest L3)."""

RESEARCH_SOURCES: dict[str, tuple[str, float, float, float]] = {
    # name: (city, lon, lat, research output) — knowledge sources of digest M5. Output in thousands
    # of research publications a year, about 2018: approx. public figures (Web of Science / Nature
    # Index counts of each institution; labs and parks estimated from their staff). Seed 001:
    # Hong Kong has 5 top-100 universities and 22 national-level labs; seed 003: Shenzhen's
    # Virtual University Park hosts the Shenzhen campuses of Hong Kong's universities.
    "HKU": ("HK", 114.14, 22.28, 6.0),
    "CUHK": ("HK", 114.21, 22.42, 5.5),
    "HKUST": ("HK", 114.26, 22.34, 3.5),
    "PolyU and CityU": ("HK", 114.18, 22.31, 7.0),
    "HK Science Park": ("HK", 114.21, 22.43, 0.5),
    "Shenzhen University": ("SZ", 113.94, 22.53, 3.0),
    "University Town (Tsinghua SIGS, PKU, HIT)": ("SZ", 113.97, 22.59, 2.5),
    "SUSTech": ("SZ", 114.00, 22.60, 1.5),
    "Virtual University Park": ("SZ", 113.945, 22.535, 1.0),
    "Songshan Lake labs": ("DG", 113.89, 22.92, 0.5),
    "Neutron Science City": ("DG", 113.96, 22.93, 0.3),
}
"""Universities and labs feeding knowledge spillovers: (city, lon, lat, thousand publications a year)."""
