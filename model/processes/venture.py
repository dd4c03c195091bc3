"""Venture capital: fees, exits and failures, fund life cycles, and new deals.

Phase :func:`venture_phase` (stream ``venture``). Funds are :class:`agents.vc.VCFund` agents;
their stakes live in one :class:`agents.vc.StakeBook`. Screening is vectorised over candidate
firms for each fund; the loop runs over funds (a few hundred), never over firms. A fund's reach
falls with travel time and across the HK–mainland border (:func:`model.border.capital_friction`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from corridor_abm.agents import vc as vcm
from corridor_abm.agents.vc import StakeBook, VCFund
from corridor_abm.model import border
from corridor_abm.model.allocation import sample_weighted
from corridor_abm.model.params import ConfigError, PerCity, param, per_city
from corridor_abm.model.state import HK, N_CITIES, Capital, State

if TYPE_CHECKING:
    from corridor_abm.model.config import Config

STAGE_DONE, STAGE_EXITED = 3, 4


@dataclass
class VCParams:
    """Venture-capital funds (digest M4, M9, L5)."""

    n_funds: int = param(200, "funds", "Venture funds at the start (managers keep raising new funds)", lo=0, hi=5000)
    home_share: PerCity = param(
        per_city(0.45, 0.45, 0.05, 0.05),
        "share",
        "Share of funds managed from each city",
        "seed 004 (2,255 PE/VC managers in Shenzhen), seed 001 (HK financial centre)",
        lo=0.0,
        hi=1.0,
    )
    fund_size: float = param(
        1.2e9,
        "¥",
        "Median size of a new fund (lognormal, log-sd 0.7)",
        "seed 004 (Shenzhen: ¥1.67tn under management by 2,255 managers); assumption",
        lo=1.0,
    )
    fund_life_quarters: int = param(40, "quarters", "Life of a fund", lo=4, hi=200)
    investment_quarters: int = param(
        20, "quarters", "Investment period of a fund (new deals only within it)", lo=1, hi=200
    )
    deal_seed: float = param(5.0e6, "¥", "Size of a seed deal", lo=0.0)
    deal_a: float = param(3.0e7, "¥", "Size of a series-A deal", lo=0.0)
    deal_b: float = param(1.2e8, "¥", "Size of a series-B deal", lo=0.0)
    deals_per_quarter: int = param(
        2, "deals", "Most deals one fund makes in a quarter", "seed 004 (907 projects in 2017)", lo=0, hi=100
    )
    screened: int = param(40, "firms", "Candidates a fund screens per quarter", lo=1, hi=10000)
    reach_minutes: float = param(90.0, "minutes", "Travel time over which a fund's reach decays by 1/e", lo=1.0)
    min_score: float = param(
        0.2,
        "1",
        "Smallest screening score (reach × quality signal) a fund invests at",
        lo=0.0,
    )
    max_age_quarters: int = param(32, "quarters", "Oldest firm a fund will back (start-ups only)", lo=1, hi=400)
    valuation_multiple: float = param(
        4.0, "× annual output", "Pre-money valuation of a start-up as a multiple of its output", lo=0.0
    )
    exit_multiple: float = param(3.0, "× annual output", "Value of a firm at exit (listing or acquisition)", lo=0.0)
    ipo_min_employees: float = param(300.0, "employees", "Smallest firm that can list", lo=1.0)
    ipo_probability: float = param(
        0.08, "per quarter", "Chance an eligible, profitable portfolio firm lists in a quarter", lo=0.0, hi=1.0
    )
    acquisition_probability: float = param(
        0.02, "per quarter", "Chance a profitable portfolio firm is acquired in a quarter", lo=0.0, hi=1.0
    )
    ipo_raise: float = param(
        0.75,
        "× annual output",
        "New equity a firm raises when it lists (about a quarter of its value at exit_multiple)",
        "assumption (IPO free floats of 20–30%)",
        lo=0.0,
        hi=20.0,
    )
    listed_finance_sz: float = param(
        0.5,
        "× annual output",
        "Financing capacity a firm listed in Shenzhen gains (follow-on offerings, bonds)",
        "assumption",
        lo=0.0,
        hi=20.0,
    )
    listed_finance_hk: float = param(
        0.8,
        "× annual output",
        "Financing capacity a firm listed in Hong Kong gains (deeper, international market; a mainland "
        "firm's access is cut by the capital friction)",
        "seed 001 (Tencent's Hong Kong financing; 101 Shenzhen firms listed in Hong Kong)",
        lo=0.0,
        hi=20.0,
    )
    hk_listing_share: float = param(
        0.25,
        "share",
        "Share of mainland listings made in Hong Kong (the rest in Shenzhen), before the capital friction",
        "seed 001 (101 Shenzhen firms listed in HK, >¼ of all its listed firms)",
        lo=0.0,
        hi=1.0,
    )
    management_fee: float = param(0.005, "per quarter", "Management fee on committed capital", lo=0.0, hi=0.1)
    reraise_min_multiple: float = param(
        0.9,
        "× paid-in",
        "Track record (distributions and value over paid-in) a manager needs to raise a new fund",
        lo=0.0,
    )
    backed_max_growth: float = param(
        0.3,
        "share per quarter",
        "Largest workforce growth in a quarter of a firm that has raised venture money (in place of "
        "firms.max_growth: the money buys growth)",
        lo=0.0,
        hi=2.0,
    )

    def check(self, root: Config) -> None:
        """An investment period within the fund's life; deal sizes that grow with the stage;
        home shares that sum to one."""
        if self.investment_quarters > self.fund_life_quarters:
            raise ConfigError(
                f"vc.investment_quarters = {self.investment_quarters} exceeds vc.fund_life_quarters = "
                f"{self.fund_life_quarters}; allowed: an investment period within the fund's life."
            )
        if not self.deal_seed <= self.deal_a <= self.deal_b:
            raise ConfigError(
                f"vc.deal_seed = {self.deal_seed:g}, vc.deal_a = {self.deal_a:g}, vc.deal_b = {self.deal_b:g}; "
                "allowed: deal sizes that grow with the stage (seed ≤ A ≤ B)."
            )
        if abs(sum(self.home_share.as_list()) - 1.0) > 1e-3:
            raise ConfigError(f"vc.home_share sums to {sum(self.home_share.as_list()):g}; the shares must sum to 1.")


def create_funds(s: State, cfg: Config, rng: np.random.Generator) -> Capital:
    """The 2018 funds (with staggered vintages) and one guidance fund per city.

    A run that stands for a share of the corridor's firms (``population_share``) has that share
    of its funds. A 2018 fund part-way through its investment period holds the part of its
    capital it has not yet invested."""
    vp = cfg.vc
    capital = Capital(funds=[], guidance_funds=[], stakes=StakeBook(s.owner, capacity=4096))
    s.capital = capital
    n_funds = int(round(vp.n_funds * cfg.population_share))
    for _ in range(n_funds):
        vintage = -int(rng.integers(0, vp.investment_quarters - 1))
        size = _fund_size(rng, vp.fund_size) * (1.0 - (-vintage) / vp.fund_life_quarters)
        _new_fund(s, cfg, rng, size, vintage, manager=None)
    for city in range(N_CITIES):
        cell = _office_cell(s, rng, city)
        capital.guidance_funds.append(
            VCFund(s.owner, cell, city, 0.0, vintage=0, manager=-1 - city, guidance_city=city)
        )
    return capital


def _fund_size(rng: np.random.Generator, median: float) -> float:
    return float(median * rng.lognormal(0.0, 0.7))


def _office_cell(s: State, rng: np.random.Generator, city: int) -> int:
    cells = np.flatnonzero((s.cells.city == city) & (s.cells.com_cap > 0))
    weight = np.power(s.map.firm_attraction[cells], 4)
    return int(cells[sample_weighted(rng, weight, (1,))[0]])


def _new_fund(
    s: State,
    cfg: Config,
    rng: np.random.Generator,
    size: float,
    vintage: int,
    manager: int | None,
    home_cell: int | None = None,
) -> VCFund:
    vp, capital = cfg.vc, s.capital
    if home_cell is None:
        city = int(rng.choice(N_CITIES, p=np.array(vp.home_share.as_list()) / sum(vp.home_share.as_list())))
        home_cell = _office_cell(s, rng, city)
    if manager is None:
        manager = capital.next_manager
        capital.next_manager += 1
    fund = VCFund(s.owner, home_cell, int(s.cells.city[home_cell]), size, vintage, manager)
    capital.funds.append(fund)
    return fund


def venture_phase(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """One quarter of venture capital, in order: fees, exits, fund life cycles, deals."""
    vp = cfg.vc
    for fund in s.capital.funds:
        if fund.active:
            fund.pay_fee(vp.management_fee * fund.committed)
    _resolve_stakes(s, cfg, rng)
    _fund_life_cycles(s, cfg, rng)
    _deals(s, cfg, rng)


def _stake_values(s: State, multiple: float) -> np.ndarray:
    """Current value of each live stake at ``multiple`` × annual output."""
    book, firms = s.capital.stakes, s.firms
    value = np.zeros(book.n)
    live = book.alive_index()
    value[live] = book.share[live] * multiple * 4.0 * np.maximum(firms.output[book.firm[live]], 0.0)
    return value


def _resolve_stakes(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """Failed portfolio firms are written off; profitable ones may list or be acquired."""
    book, firms, vp = s.capital.stakes, s.firms, cfg.vc
    live = book.alive_index()
    if live.size == 0:
        return
    firm = book.firm[live]
    dead = ~firms.alive[firm]
    _close(s, live[dead], vcm.WRITTEN_OFF, np.zeros(int(dead.sum())))
    live = live[~dead]
    if live.size == 0:
        return
    candidates = np.unique(book.firm[live])
    employees = (firms.workers[candidates] + firms.workers_div[candidates]) * s.talent_scale
    profitable = firms.profit[candidates] > 0
    u = rng.random(candidates.size)
    listing = profitable & (employees >= vp.ipo_min_employees) & (u < vp.ipo_probability)
    acquired = (
        profitable
        & ~listing
        & ((s.t - firms.born[candidates]) >= 8)
        & (u < vp.ipo_probability + vp.acquisition_probability)
        & (u >= vp.ipo_probability)
    )
    exiting = candidates[listing | acquired]
    if exiting.size == 0:
        return
    kind = np.where(listing[listing | acquired], vcm.EXIT_IPO_SZ, vcm.EXIT_ACQUISITION)
    in_hk = s.cells.city[firms.cell[exiting]] == HK
    friction = border.capital_friction(cfg.border, s.map, firms.cell[exiting])
    to_hk = in_hk | (rng.random(exiting.size) < vp.hk_listing_share * (1.0 - friction))
    kind = np.where((kind == vcm.EXIT_IPO_SZ) & to_hk, vcm.EXIT_IPO_HK, kind)
    # a listing raises new equity and opens the market's finance to the firm
    listing_now = kind != vcm.EXIT_ACQUISITION
    lister = exiting[listing_now]
    firms.listed[lister] = np.where(kind[listing_now] == vcm.EXIT_IPO_HK, 2, 1)
    firms.cash[lister] += vp.ipo_raise * 4.0 * np.maximum(firms.output[lister], 0.0)
    value = vp.exit_multiple * 4.0 * np.maximum(firms.output[exiting], 0.0)
    firm_value = dict(zip(exiting.tolist(), value.tolist()))
    closing = live[np.isin(book.firm[live], exiting)]
    proceeds = book.share[closing] * np.array([firm_value[f] for f in book.firm[closing].tolist()])
    _close(s, closing, vcm.EXITED, proceeds)
    firms.vc_stage[exiting] = STAGE_EXITED
    s.events.exits.append(
        {
            "t": np.full(exiting.size, s.t),
            "firm": exiting.astype(np.int64),
            "firm_city": s.cells.city[firms.cell[exiting]].astype(np.int8),
            "kind": kind.astype(np.int8),
            "value": value.astype(float),
        }
    )


def _close(s: State, stakes: np.ndarray, status: int, proceeds: np.ndarray) -> None:
    if stakes.size == 0:
        return
    book = s.capital.stakes
    book.alive[stakes] = False
    book.status[stakes] = status
    book.proceeds[stakes] = proceeds
    book.closed[stakes] = s.t
    by_fund = s.capital.fund_by_id()
    for fund_id, amount in zip(book.fund[stakes].tolist(), proceeds.tolist()):
        if amount > 0:
            by_fund[fund_id].receive(amount)


def _fund_life_cycles(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """At the end of its investment period a fund's manager raises the next fund if the
    interim record (paid out, cash and stakes at value, over committed) is good enough, or
    leaves and a new manager starts one. Funds past the investment period pay out their cash;
    at the end of its life a fund sells its remaining stakes at half their value and closes."""
    vp, book = cfg.vc, s.capital.stakes
    value_now = _stake_values(s, vp.valuation_multiple)
    live = book.alive_index()
    live_value = np.bincount(book.fund[live], weights=value_now[live]) if live.size else np.zeros(0)
    for fund in list(s.capital.funds):
        if not fund.active:
            continue
        age = s.t - fund.vintage
        if age == vp.investment_quarters:
            held = float(live_value[fund.unique_id]) if fund.unique_id < live_value.size else 0.0
            record = fund.paid_out_multiple(held)
            if record >= vp.reraise_min_multiple:
                size = fund.committed * float(np.clip(record, 0.5, 3.0)) * float(rng.lognormal(0.0, 0.2))
                _new_fund(s, cfg, rng, size, s.t, fund.manager, home_cell=fund.home_cell)
            else:
                _new_fund(s, cfg, rng, _fund_size(rng, vp.fund_size), s.t, manager=None)
        if age >= vp.investment_quarters:
            fund.distribute()
        if age < vp.fund_life_quarters:
            continue
        mine = live[book.fund[live] == fund.unique_id]
        _close(s, mine, vcm.SOLD_AT_END, 0.5 * value_now[mine])
        fund.distribute()
        fund.active = False


def _deals(s: State, cfg: Config, rng: np.random.Generator) -> None:
    """Funds in their investment period screen start-ups within reach and back the best."""
    vp, firms, capital = cfg.vc, s.firms, s.capital
    alive = firms.alive_index()
    age = s.t - firms.born[alive]
    pool = alive[(age <= vp.max_age_quarters) & (firms.vc_stage[alive] < STAGE_DONE) & (firms.workers[alive] > 0)]
    if pool.size == 0:
        return
    quality = _quality(s, pool)
    pool_cell = firms.cell[pool]
    pool_city = s.cells.city[pool_cell]
    pre_money = vcm.pre_money_valuation(4.0 * np.maximum(firms.output[pool], 0.0), vp.valuation_multiple)
    stage_amount = np.array([vp.deal_seed, vp.deal_a, vp.deal_b])
    taken = np.zeros(pool.size, dtype=bool)
    investing = [f for f in capital.funds if f.active and s.t - f.vintage < vp.investment_quarters]
    order = rng.permutation(len(investing))
    # reach is a function of the two cells, elementwise: computed per office cell for the cells
    # the pool occupies only (a few hundred of the map's thousands), then read per firm
    pool_cells, cell_of_firm = np.unique(pool_cell, return_inverse=True)

    def reach_by_cell(cell: int, city: int) -> np.ndarray:
        return vcm.reach(
            s.travel.between(cell, pool_cells),
            vp.reach_minutes,
            border.crosses(s.cells.city[pool_cells], city),
            border.capital_friction(cfg.border, s.map, pool_cells, cell),
        )

    # per office cell: the reach to each firm of the pool not yet taken (0 once taken: the same
    # values as np.where(taken, 0.0, reach)), brought up to date from the firms taken since the
    # cell was last read, so each fund's screening sums one array into one buffer
    reach_left: dict[int, np.ndarray] = {}
    read_upto: dict[int, int] = {}  # per office cell: how many of taken_order it has zeroed
    taken_order: list[int] = []
    cdf = np.empty(pool.size)
    stakes: list[tuple] = []  # the quarter's new stakes, added to the book in deal order at the end
    for k in order:
        fund = investing[k]
        if fund.cash < stage_amount.min():
            continue
        cell = fund.home_cell
        if cell not in reach_left:
            reach_left[cell] = reach_by_cell(cell, fund.home_city)[cell_of_firm]
            read_upto[cell] = 0
        r = reach_left[cell]
        if read_upto[cell] < len(taken_order):
            r[taken_order[read_upto[cell] :]] = 0.0
            read_upto[cell] = len(taken_order)
        # sample_weighted's draws, with one pass fewer: the cumulative weight tells whether any
        # firm is left to see (weights are non-negative)
        np.cumsum(r, out=cdf)
        if cdf[-1] <= 0:
            continue
        draws = rng.random((vp.screened,)) * cdf[-1]
        seen = np.unique(np.minimum(np.searchsorted(cdf, draws, side="right"), cdf.size - 1))
        score = r[seen] * quality[seen]
        # a firm drawn has positive weight, so is not taken, except where the clamp above picked
        # the last firm: score that one by its reach, as an unmasked reach would
        stale = taken[seen]
        if stale.any():
            score[stale] = reach_by_cell(cell, fund.home_city)[cell_of_firm[seen[stale]]] * quality[seen[stale]]
        order_seen = np.argsort(-score)[: vp.deals_per_quarter]
        for j, value in zip(seen[order_seen], score[order_seen], strict=True):
            amount = float(stage_amount[firms.vc_stage[pool[j]]])
            if value < vp.min_score or taken[j] or amount > fund.cash:
                continue
            taken[j] = True
            taken_order.append(int(j))
            _invest(s, stakes, fund, int(pool[j]), amount, float(pre_money[j]))
            guide = capital.guidance_funds[pool_city[j]]
            co = min(cfg.government.guidance_coinvest_share * amount, guide.cash)
            if co > 0:
                _invest(s, stakes, guide, int(pool[j]), co, float(pre_money[j]), advance_stage=False)
    if stakes:
        fund_id, firm, stage, cost, share = (list(c) for c in zip(*stakes))
        capital.stakes.add(len(stakes), fund=fund_id, firm=firm, stage=stage, cost=cost, share=share, quarter=s.t)


def _invest(
    s: State,
    stakes: list[tuple],
    fund: VCFund,
    firm: int,
    amount: float,
    pre_money: float,
    advance_stage: bool = True,
) -> None:
    """A deal: money moves, the firm's stage advances, the stake is noted in ``stakes`` (the
    caller adds the quarter's stakes to the book) and the deal is logged."""
    firms = s.firms
    stage = int(min(firms.vc_stage[firm], 2))
    fund.invest(amount)
    firms.cash[firm] += amount
    firms.vc_raised[firm] += amount
    if advance_stage:
        firms.vc_stage[firm] += 1
    stakes.append((fund.unique_id, firm, stage, amount, amount / (pre_money + amount)))
    firm_city = int(s.cells.city[firms.cell[firm]])
    s.events.deals.append(
        (
            s.t,
            fund.unique_id,
            fund.home_city,
            fund.is_guidance,
            firm,
            firm_city,
            stage,
            amount,
            bool(border.crosses(firm_city, fund.home_city)),
        )
    )


def _quality(s: State, pool: np.ndarray) -> np.ndarray:
    """What screening sees: productivity relative to the firm's sector, and recent innovation."""
    firms = s.firms
    alive = firms.alive_index()
    z = np.zeros(pool.size)
    for k in range(4):
        ref = firms.log_a[alive[firms.sector[alive] == k]]
        m = firms.sector[pool] == k
        if ref.size > 1 and m.any():
            z[m] = (firms.log_a[pool[m]] - ref.mean()) / max(ref.std(), 1e-9)
    recent = (s.t - firms.last_innovation[pool]) < 4
    return np.exp(0.5 * z) * np.where(recent, 1.5, 1.0)


def accounting_gaps(s: State) -> np.ndarray:
    """Money-conservation gap of every fund ever raised (all zero if money is conserved)."""
    funds = s.capital.funds + s.capital.guidance_funds
    return np.array([f.accounting_gap() for f in funds])
