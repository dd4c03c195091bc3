"""Innovation: R&D → innovations → productivity, fed by knowledge spillovers across the map.

Phase :func:`innovate` (stream ``innovation``).

Each quarter firm ``i`` makes ``n_i ~ Poisson(λ_i)`` innovations (patent-like events) with

    λ_i = patents_per_million · (R&D_i / ¥1m / wage index)^a · skill_i^b · (K[site_i] / K_ref)^η,

where K is the knowledge field at the firm's R&D site: universities and labs (Hong Kong's
universities, Shenzhen University, University Town, SUSTech, the Virtual University Park,
Songshan Lake, Neutron Science City, weighted by their research output) and the decaying stock of
recent innovations (in whole-corridor units), spread over the map by
``exp(-minutes / knowledge_minutes)`` and cut across the HK–mainland border by the knowledge
friction (less in the Qianhai and Hetao zones). η (``spillover_elasticity``) is the elasticity of
innovation to the knowledge it can draw on: 0.3, in the range the literature on knowledge
spillovers estimates (Jaffe 1989, AER: 0.1–0.6 for university research; Bloom, Schankerman & Van
Reenen 2013, Econometrica: about 0.3 for technology spillovers between firms). R&D counts in
researcher units (deflated by the growth of the city's wage since 2018). A firm that innovates
gains ``productivity_step`` in log productivity. Zero R&D gives zero innovations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents import firms as fm
from corridor_abm.model import border, kernels
from corridor_abm.model.params import param
from corridor_abm.model.state import Knowledge, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config


@dataclass
class InnovationParams:
    """R&D, innovations (patent-like events) and knowledge spillovers (digest M5, M8, M10)."""

    patents_per_million: float = param(
        0.3,
        "innovations per quarter per (¥m R&D)^elasticity",
        "Innovation rate of R&D spending, before skill and spillovers",
        "seed 003 (18k PCT, ~70k invention applications in Shenzhen, 2018); calibrated",
        lo=0.0,
    )
    rd_elasticity: float = param(0.8, "1", "Elasticity of innovations to R&D spending", lo=0.0, hi=2.0)
    skill_elasticity: float = param(
        1.0, "1", "Elasticity of innovations to the mean skill of the firm's talent", lo=0.0, hi=5.0
    )
    spillover_elasticity: float = param(
        0.3,
        "1",
        "Elasticity of a firm's innovations to the knowledge field at its R&D site (relative to 2018)",
        "Jaffe (1989, AER) 0.1–0.6 for university research; Bloom, Schankerman & Van Reenen (2013, "
        "Econometrica) ≈ 0.3 for technology spillovers; seed 001 (HK research commercialised in Shenzhen)",
        lo=0.0,
        hi=2.0,
    )
    knowledge_minutes: float = param(
        45.0, "minutes", "Travel time over which knowledge spillovers decay by 1/e", lo=1.0
    )
    knowledge_depreciation: float = param(
        0.05, "per quarter", "Decay of the local stock of recent innovations", lo=0.0, hi=1.0
    )
    research_output: float = param(
        7000.0,
        "innovation-equivalents per quarter per thousand publications a year",
        "Knowledge a university or lab adds to the field each quarter per thousand research "
        "publications a year (model/geodata.py RESEARCH_SOURCES): universities are about a third "
        "of the corridor's knowledge sources in 2018",
        "assumption (seed 001: 5 top-100 universities, 22 national labs in HK; seed 003)",
        lo=0.0,
    )
    productivity_step: float = param(
        0.005,
        "log productivity",
        "Productivity gain of a firm in a quarter it innovates",
        lo=0.0,
        hi=1.0,
    )
    university_spinoffs: float = param(
        5.0,
        "start-ups per year per thousand publications a year",
        "Start-ups founded by researchers and graduates of a university or lab (industry–university links), "
        "per thousand research publications a year of the institution, whole corridor",
        "approx. public figure (Hong Kong's universities: ~100–200 technology start-ups a year under the "
        "TSSSU scheme; seed 001: DJI from HKUST)",
        lo=0.0,
    )
    spinoff_boost: float = param(
        2.0,
        "× founding rate",
        "Founding-rate multiplier for talent whose employer innovated in the last year (DJI → 360 drone firms)",
        "seed 001 (Googol → DJI → 360+ drone firms), seed 002 (Alibaba alumni)",
        lo=1.0,
        hi=50.0,
    )


def knowledge_kernel(s: State, cfg: Config) -> np.ndarray | kernels.GridKernel:
    """Spillover weights between cells: decay with travel time, cut by the knowledge friction
    (a dense matrix, or on a fine map a grid kernel, :mod:`model.kernels`)."""
    if s.travel.minutes is None:
        cells = np.arange(s.n_cells)
        survives = 1.0 - cfg.border.knowledge_friction * border.zone_factor(cfg.border, s.map, cells)
        return kernels.GridKernel(s.map, cfg.transport, cfg.innovation.knowledge_minutes, survives)
    decay = np.exp(-s.travel.minutes / np.float32(cfg.innovation.knowledge_minutes))
    return decay * border.knowledge_pass(cfg.border, s.map)


def knowledge_sources(s: State, cfg: Config) -> np.ndarray:
    """Knowledge emitted by each cell this quarter: research plus the stock of recent innovations."""
    return cfg.innovation.research_output * s.map.research_strength + s.knowledge.stock


def knowledge_field(s: State, cfg: Config) -> np.ndarray:
    """Knowledge field at every cell (sources spread by the kernel)."""
    return kernels.apply(s.knowledge.kernel, knowledge_sources(s, cfg).astype(np.float32))


def innovation_rate(
    rd_spend: np.ndarray,
    mean_skill: np.ndarray,
    field_ratio: np.ndarray,
    rate: float,
    rd_elasticity: float,
    skill_elasticity: float,
    spillover_elasticity: float,
) -> np.ndarray:
    """Expected innovations per quarter (pure function).

    Args:
        rd_spend: R&D spending this quarter in 2018 researcher-cost ¥ (deflated by wages).
        mean_skill: Mean skill of the firm's talent.
        field_ratio: Knowledge field at the firm's cell over its 2018 reference.
        rate: Innovations per (¥1m)^elasticity.
        rd_elasticity: Elasticity to R&D.
        skill_elasticity: Elasticity to skill.
        spillover_elasticity: Elasticity to the knowledge field.

    Returns:
        λ per firm; exactly zero where R&D is zero.
    """
    rd = np.maximum(rd_spend, 0.0) / 1e6
    return (
        rate
        * np.power(rd, rd_elasticity)
        * np.power(mean_skill, skill_elasticity)
        * np.power(np.maximum(field_ratio, 0.0), spillover_elasticity)
    )


def real_rd(s: State, firm_idx: np.ndarray) -> np.ndarray:
    """R&D spending in 2018 researcher-cost yuan: deflated by the growth of the city's wage."""
    city = s.cells.city[s.firms.cell[firm_idx]]
    return s.firms.rd_spend[firm_idx] * s.cities.wage_2018[city] / s.cities.wage[city]


def rd_site_field(s: State, firm_idx: np.ndarray, field: np.ndarray) -> np.ndarray:
    """The knowledge field a firm's R&D draws on: at its headquarters, blended with its R&D
    centre's by the centre's share of the firm's efficiency units."""
    firms = s.firms
    div = firms.div_cell[firm_idx]
    centre = (div >= 0) & (firms.div_kind[firm_idx] == fm.KIND_RD)
    share = np.where(firms.eff[firm_idx] > 0, firms.eff_div[firm_idx] / np.maximum(firms.eff[firm_idx], 1e-12), 0.0)
    at_hq = field[firms.cell[firm_idx]]
    return np.where(centre, (1.0 - share) * at_hq + share * field[np.maximum(div, 0)], at_hq)


def expected_innovations(s: State, cfg: Config, firm_idx: np.ndarray, field: np.ndarray) -> np.ndarray:
    """λ of firms ``firm_idx`` given the knowledge field (see :func:`innovation_rate`)."""
    firms, ip = s.firms, cfg.innovation
    workers = firms.workers[firm_idx] + firms.workers_div[firm_idx]
    mean_skill = np.where(workers > 0, firms.eff[firm_idx] / np.maximum(workers, 1), 0.0)
    ratio = rd_site_field(s, firm_idx, field) / s.knowledge.reference
    return innovation_rate(
        real_rd(s, firm_idx),
        mean_skill,
        ratio,
        ip.patents_per_million,
        ip.rd_elasticity,
        ip.skill_elasticity,
        ip.spillover_elasticity,
    )


def innovate(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """Draw this quarter's innovations, raise innovators' productivity, update the knowledge stock."""
    firms, ip, know = s.firms, cfg.innovation, s.knowledge
    alive = firms.alive_index()
    field = knowledge_field(s, cfg)
    count = rng.poisson(expected_innovations(s, cfg, alive, field))
    firms.innovations[alive] = count
    firms.innovations_total[alive] += count
    innovated = alive[count > 0]
    firms.log_a[innovated] += ip.productivity_step
    firms.last_innovation[innovated] = s.t
    know.stock *= 1.0 - ip.knowledge_depreciation
    # the stock counts whole-corridor innovations, so universities weigh the same at any sample size
    know.stock += np.bincount(firms.cell[alive], weights=count, minlength=s.n_cells) / cfg.population_share
    know.field = field


def set_initial_stock(s: State, cfg: Config) -> None:
    """Start the stock of recent innovations at its steady state under 2018 R&D, and fix the
    field's reference, so that 2018 begins without a jump in innovation."""
    firms, ip, know = s.firms, cfg.innovation, s.knowledge
    know.stock = np.zeros(s.n_cells)
    _set_reference(s, cfg)
    alive = firms.alive_index()
    for _ in range(3):
        lam = expected_innovations(s, cfg, alive, know.field)
        rate = np.bincount(firms.cell[alive], weights=lam, minlength=s.n_cells) / cfg.population_share
        know.stock = rate / max(ip.knowledge_depreciation, 1e-6)
        _set_reference(s, cfg)


def _set_reference(s: State, cfg: Config) -> None:
    """Fix the knowledge field's reference: its mean over 2018 firms' sites (weighted by labour)."""
    firms, know = s.firms, s.knowledge
    alive = firms.alive_index()
    field = knowledge_field(s, cfg)
    know.reference = float(np.average(field[firms.cell[alive]], weights=np.maximum(firms.eff[alive], 1e-9)))
    know.field = field


def empty_knowledge() -> Knowledge:
    """A knowledge field not yet built (the 2018 state sets it up)."""
    return Knowledge(kernel=np.zeros((0, 0), dtype=np.float32), stock=np.zeros(0))
