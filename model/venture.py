"""The venture-capital phase: fees, exits and failures, fund life cycles, and new deals.

Funds are :class:`agents.vc.VCFund` agents; their stakes live in one :class:`agents.vc.StakeBook`.
Screening is vectorised over candidate firms for each fund; the loop runs over funds (a few
hundred), never over firms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents import vc as vcm
from agents.vc import StakeBook, VCFund
from model.allocation import sample_weighted

if TYPE_CHECKING:
    from model.corridor import CorridorModel

STAGE_DONE, STAGE_EXITED = 3, 4


def create_funds(model: CorridorModel, rng: np.random.Generator) -> None:
    """The 2018 funds (with staggered vintages) and one guidance fund per city.

    A run that stands for a share of the corridor's firms (``population_share``) has that share
    of its funds. A 2018 fund part-way through its investment period holds the part of its
    capital it has not yet invested."""
    vp = model.cfg.vc
    model.stakes = StakeBook(model, capacity=4096)
    model.funds = []
    model.next_manager = 0
    n_funds = int(round(vp.n_funds * model.cfg.population_share))
    for _ in range(n_funds):
        vintage = -int(rng.integers(0, vp.investment_quarters - 1))
        size = _fund_size(rng, vp.fund_size) * (1.0 - (-vintage) / vp.fund_life_quarters)
        _new_fund(model, rng, size, vintage, manager=None)
    model.guidance_funds = []
    for city in range(4):
        cell = _office_cell(model, rng, city)
        fund = VCFund(model, cell, 0.0, vintage=0, manager=-1 - city, guidance_city=city)
        model.guidance_funds.append(fund)


def _fund_size(rng: np.random.Generator, median: float) -> float:
    return float(median * rng.lognormal(0.0, 0.7))


def _office_cell(model: CorridorModel, rng: np.random.Generator, city: int) -> int:
    cells = np.flatnonzero((model.cell_city == city) & (model.com_cap > 0))
    weight = np.power(model.map.firm_attraction[cells], 4)
    return int(cells[sample_weighted(rng, weight, (1,))[0]])


def _new_fund(
    model: CorridorModel,
    rng: np.random.Generator,
    size: float,
    vintage: int,
    manager: int | None,
    home_cell: int | None = None,
) -> VCFund:
    vp = model.cfg.vc
    if home_cell is None:
        city = int(rng.choice(4, p=np.array(vp.home_share.as_list()) / sum(vp.home_share.as_list())))
        home_cell = _office_cell(model, rng, city)
    if manager is None:
        manager = model.next_manager
        model.next_manager += 1
    fund = VCFund(model, home_cell, size, vintage, manager)
    model.funds.append(fund)
    return fund


def venture_phase(model: CorridorModel, rng: np.random.Generator) -> None:
    """One quarter of venture capital, in order: fees, exits, fund life cycles, guidance budgets,
    deals."""
    vp = model.cfg.vc
    for fund in model.funds:
        if fund.active:
            fund.pay_fee(vp.management_fee * fund.committed)
    _resolve_stakes(model, rng)
    _fund_life_cycles(model, rng)
    _deals(model, rng)


def _stake_values(model: CorridorModel, multiple: float) -> np.ndarray:
    """Current value of each live stake at ``multiple`` × annual output."""
    book, firms = model.stakes, model.firms
    value = np.zeros(book.n)
    live = book.alive_index()
    value[live] = book.share[live] * multiple * 4.0 * np.maximum(firms.output[book.firm[live]], 0.0)
    return value


def _resolve_stakes(model: CorridorModel, rng: np.random.Generator) -> None:
    """Failed portfolio firms are written off; profitable ones may list or be acquired."""
    book, firms, vp = model.stakes, model.firms, model.cfg.vc
    live = book.alive_index()
    if live.size == 0:
        return
    firm = book.firm[live]
    dead = ~firms.alive[firm]
    _close(model, live[dead], vcm.WRITTEN_OFF, np.zeros(int(dead.sum())))
    live = live[~dead]
    if live.size == 0:
        return
    candidates = np.unique(book.firm[live])
    employees = (firms.workers[candidates] + firms.workers_div[candidates]) * model.talent_scale
    profitable = firms.profit[candidates] > 0
    u = rng.random(candidates.size)
    listing = profitable & (employees >= vp.ipo_min_employees) & (u < vp.ipo_probability)
    acquired = (
        profitable
        & ~listing
        & ((model.t - firms.born[candidates]) >= 8)
        & (u < vp.ipo_probability + vp.acquisition_probability)
        & (u >= vp.ipo_probability)
    )
    exiting = candidates[listing | acquired]
    if exiting.size == 0:
        return
    kind = np.where(listing[listing | acquired], vcm.EXIT_IPO_SZ, vcm.EXIT_ACQUISITION)
    in_hk = model.cell_city[firms.cell[exiting]] == 0
    friction = model.capital_friction_at(firms.cell[exiting])
    to_hk = in_hk | (rng.random(exiting.size) < vp.hk_listing_share * (1.0 - friction))
    kind = np.where((kind == vcm.EXIT_IPO_SZ) & to_hk, vcm.EXIT_IPO_HK, kind)
    value = vp.exit_multiple * 4.0 * np.maximum(firms.output[exiting], 0.0)
    firm_value = dict(zip(exiting.tolist(), value.tolist()))
    closing = live[np.isin(book.firm[live], exiting)]
    proceeds = book.share[closing] * np.array([firm_value[f] for f in book.firm[closing].tolist()])
    _close(model, closing, vcm.EXITED, proceeds)
    firms.vc_stage[exiting] = STAGE_EXITED
    model.recorder.log_vc_exits(exiting, kind, value, firms.cell[exiting])


def _close(model: CorridorModel, stakes: np.ndarray, status: int, proceeds: np.ndarray) -> None:
    if stakes.size == 0:
        return
    book = model.stakes
    book.alive[stakes] = False
    book.status[stakes] = status
    book.proceeds[stakes] = proceeds
    book.closed[stakes] = model.t
    by_fund = model.fund_by_id
    for fund_id, amount in zip(book.fund[stakes].tolist(), proceeds.tolist()):
        if amount > 0:
            by_fund[fund_id].receive(amount)


def _fund_life_cycles(model: CorridorModel, rng: np.random.Generator) -> None:
    """At the end of its investment period a fund's manager raises the next fund if the
    interim record (paid out, cash and stakes at value, over committed) is good enough, or
    leaves and a new manager starts one. Funds past the investment period pay out their cash;
    at the end of its life a fund sells its remaining stakes at half their value and closes."""
    vp, book = model.cfg.vc, model.stakes
    value_now = _stake_values(model, vp.valuation_multiple)
    live = book.alive_index()
    live_value = np.bincount(book.fund[live], weights=value_now[live]) if live.size else np.zeros(0)
    for fund in list(model.funds):
        if not fund.active:
            continue
        age = model.t - fund.vintage
        if age == vp.investment_quarters:
            held = float(live_value[fund.unique_id]) if fund.unique_id < live_value.size else 0.0
            record = fund.paid_out_multiple(held)
            if record >= vp.reraise_min_multiple:
                size = fund.committed * float(np.clip(record, 0.5, 3.0)) * float(rng.lognormal(0.0, 0.2))
                _new_fund(model, rng, size, model.t, fund.manager, home_cell=fund.home_cell)
            else:
                _new_fund(model, rng, _fund_size(rng, vp.fund_size), model.t, manager=None)
        if age >= vp.investment_quarters:
            fund.distribute()
        if age < vp.fund_life_quarters:
            continue
        mine = live[book.fund[live] == fund.unique_id]
        _close(model, mine, vcm.SOLD_AT_END, 0.5 * value_now[mine])
        fund.distribute()
        fund.active = False


def _deals(model: CorridorModel, rng: np.random.Generator) -> None:
    """Funds in their investment period screen start-ups within reach and back the best."""
    vp, firms = model.cfg.vc, model.firms
    alive = firms.alive_index()
    age = model.t - firms.born[alive]
    pool = alive[(age <= vp.max_age_quarters) & (firms.vc_stage[alive] < STAGE_DONE) & (firms.workers[alive] > 0)]
    if pool.size == 0:
        return
    quality = _quality(model, pool)
    pool_cell = firms.cell[pool]
    pool_hk = model.cell_city[pool_cell] == 0
    friction = model.capital_friction_at(pool_cell)
    pre_money = vcm.pre_money_valuation(4.0 * np.maximum(firms.output[pool], 0.0), vp.valuation_multiple)
    stage_amount = np.array([vp.deal_seed, vp.deal_a, vp.deal_b])
    taken = np.zeros(pool.size, dtype=bool)
    investing = [f for f in model.funds if f.active and model.t - f.vintage < vp.investment_quarters]
    order = rng.permutation(len(investing))
    for k in order:
        fund = investing[k]
        if fund.cash < stage_amount.min():
            continue
        r = vcm.reach(
            model.travel[fund.home_cell, pool_cell], vp.reach_minutes, pool_hk != (fund.home_city == 0), friction
        )
        weight = np.where(taken, 0.0, r)
        if weight.sum() <= 0:
            continue
        seen = np.unique(sample_weighted(rng, weight, (vp.screened,)))
        score = r[seen] * quality[seen]
        best = seen[np.argsort(-score)][: vp.deals_per_quarter]
        for j in best:
            amount = float(stage_amount[firms.vc_stage[pool[j]]])
            if r[j] * quality[j] < vp.min_score or taken[j] or amount > fund.cash:
                continue
            taken[j] = True
            _invest(model, fund, int(pool[j]), amount, float(pre_money[j]))
            guide = model.guidance_funds[model.cell_city[pool_cell[j]]]
            co = min(vp_coinvest(model) * amount, guide.cash)
            if co > 0:
                _invest(model, guide, int(pool[j]), co, float(pre_money[j]), advance_stage=False)


def vp_coinvest(model: CorridorModel) -> float:
    """Co-investment share of the guidance funds."""
    return model.cfg.government.guidance_coinvest_share


def _invest(
    model: CorridorModel, fund: VCFund, firm: int, amount: float, pre_money: float, advance_stage: bool = True
) -> None:
    firms = model.firms
    stage = int(min(firms.vc_stage[firm], 2))
    fund.invest(amount)
    firms.cash[firm] += amount
    firms.vc_raised[firm] += amount
    if advance_stage:
        firms.vc_stage[firm] += 1
    model.stakes.add(
        1,
        fund=fund.unique_id,
        firm=firm,
        stage=stage,
        cost=amount,
        share=amount / (pre_money + amount),
        quarter=model.t,
    )
    model.recorder.log_vc_deal(fund, firm, stage, amount)


def _quality(model: CorridorModel, pool: np.ndarray) -> np.ndarray:
    """What screening sees: productivity relative to the firm's sector, and recent innovation."""
    firms = model.firms
    alive = firms.alive_index()
    z = np.zeros(pool.size)
    for s in range(4):
        ref = firms.log_a[alive[firms.sector[alive] == s]]
        m = firms.sector[pool] == s
        if ref.size > 1 and m.any():
            z[m] = (firms.log_a[pool[m]] - ref.mean()) / max(ref.std(), 1e-9)
    recent = (model.t - firms.last_innovation[pool]) < 4
    return np.exp(0.5 * z) * np.where(recent, 1.5, 1.0)


def accounting_gaps(model: CorridorModel) -> np.ndarray:
    """Money-conservation gap of every fund ever raised (all zero if money is conserved)."""
    funds = model.funds + model.guidance_funds
    return np.array([f.accounting_gap() for f in funds])
