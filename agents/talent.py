"""Talent (skilled workers): a vectorised population and the pure functions of their choices.

A talent agent stands for ``talent_scale`` real S&T workers (the corridor's ~3.9 million
divided by the number of agents; 1 at full scale). Each quarter some search for jobs, some
review their home, some leave the region, and in-migrants arrive if the region beats their
outside option. Choices are discrete: among a few sampled options, the one of highest utility

    U = [log(income) + job value − work barrier]                             (the job)
      + [log(income − housing) − log(income) − κ·commute + home value − residence barrier]
                                                                          (the home)
      + taste shock.

A cell's home value is ``amenity_weight × amenity`` (public services, centrality) plus a
residential fundamental, and a city's job value is a workplace fundamental; both are recovered
so that in 2018 the average talent is as well off in every cell and every city's jobs (the 2018
pattern is an equilibrium; see :func:`model.setup.settle_talent`). Later moves answer to what
changes: rents, wages, subsidies, services, jobs.
"""

from __future__ import annotations

import numpy as np

from corridor_abm.agents.population import Population

ORIGIN_LOCAL, ORIGIN_MAINLAND, ORIGIN_HK, ORIGIN_OVERSEAS = 0, 1, 2, 3
ORIGIN_NAMES = ("local", "mainland", "hong_kong", "overseas")


class TalentPopulation(Population):
    """All skilled workers, one array per state variable.

    State (per agent): ``alive``, ``uid`` (stable identifier), ``skill`` (mean 1),
    ``employer`` (firm index, -1 if none), ``at_division`` (works at the employer's division),
    ``home`` (cell), ``origin`` (local / mainland / Hong Kong / overseas), ``reservation``
    (log-utility of the outside option at the start, grows with outside incomes),
    ``unemployed_q`` (quarters without a modelled job), ``entered`` (quarter of arrival),
    ``must_search`` (the job moved or ended: search and review home this quarter), ``floor``
    (residential floor per worker of the household, m²; it answers income and rent,
    :func:`model.processes.markets.household_floor`), ``hk_attachment`` (persistent taste for
    living and working in Hong Kong, log-income per side; :func:`draw_attachment`),
    ``displaced_until`` (last quarter of a displacement by a commute shock, -1 if none),
    ``displaced_home_cell`` and ``displaced_job_cell`` (the home and job cells whose commute the
    shock cut off, -1 if none; :func:`model.processes.migration.commute_shocks`) and
    ``displaced_employer`` (the firm of that job, -1 if none: it may take them back).
    """

    SCHEMA = {
        "alive": (np.bool_, False),
        "uid": (np.int64, -1),
        "skill": (np.float32, 1.0),
        "employer": (np.int32, -1),
        "at_division": (np.bool_, False),
        "home": (np.int32, -1),
        "origin": (np.int8, ORIGIN_LOCAL),
        "reservation": (np.float32, 0.0),
        "unemployed_q": (np.int16, 0),
        "entered": (np.int32, 0),
        "must_search": (np.bool_, False),
        "floor": (np.float32, 30.0),
        "hk_attachment": (np.float32, 0.0),
        "displaced_until": (np.int32, -1),
        "displaced_home_cell": (np.int32, -1),
        "displaced_job_cell": (np.int32, -1),
        "displaced_employer": (np.int32, -1),
    }

    def __init__(self, model, capacity: int = 1024) -> None:
        super().__init__(model, capacity)
        self.next_uid = 0

    def new_uids(self, n: int) -> np.ndarray:
        """``n`` fresh stable identifiers (a talent's ``uid`` survives :meth:`compact`)."""
        uids = np.arange(self.next_uid, self.next_uid + n)
        self.next_uid += n
        return uids


class AwayPool:
    """Talent who left the region while displaced by a commute shock, keeping a claim to return.

    A worker whose cross-border commute a closure cut off and who then leaves the region (for
    any reason but the baseline outflow's, which would have taken them anyway) is remembered here
    with what defines them (``uid``, skill, origin, outside option, attachment, quarter of first
    arrival; :attr:`IDENTITY`) and the claim: the home and job cells of the cut-off commute and
    the firm of that job. When that commute comes back (a reopening,
    :func:`model.processes.migration.commute_shocks`) the pool's members are marked
    ``returning`` and reconsider the region that quarter (``_returns``); the pool is kept apart
    from the living population so that a run where nobody returns is unchanged by it.
    """

    IDENTITY = ("uid", "skill", "origin", "reservation", "hk_attachment", "entered")
    """What a member takes back into the population when it returns."""
    FIELDS = (*IDENTITY, "displaced_home_cell", "displaced_job_cell", "displaced_employer")

    def __init__(self) -> None:
        self.columns: dict[str, np.ndarray] = {
            name: np.empty(0, dtype=TalentPopulation.SCHEMA[name][0]) for name in self.FIELDS
        }
        self.returning = np.empty(0, dtype=np.bool_)

    @property
    def n(self) -> int:
        """Members of the pool."""
        return int(self.returning.size)

    def keep(self, talent: TalentPopulation, idx: np.ndarray) -> None:
        """Add talent ``idx`` (about to leave the region) to the pool."""
        if idx.size == 0:
            return
        for name in self.FIELDS:
            self.columns[name] = np.concatenate([self.columns[name], getattr(talent, name)[idx]])
        self.returning = np.concatenate([self.returning, np.zeros(idx.size, dtype=np.bool_)])

    def take(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        """Remove the members where ``mask`` is True and return their columns."""
        out = {name: col[mask] for name, col in self.columns.items()}
        self.columns = {name: col[~mask] for name, col in self.columns.items()}
        self.returning = self.returning[~mask]
        return out


# ---------------------------------------------------------------------------------------------
# pure functions


def home_utility(
    income: np.ndarray,
    housing_cost: np.ndarray,
    commute_minutes: np.ndarray,
    home_value: np.ndarray,
    barrier: np.ndarray,
    kappa: float,
    floor_share: float = 0.05,
) -> np.ndarray:
    """The part of utility a home decides (log-income units).

    ``log(income − housing) − log(income) − κ·commute + home value − residence barrier``; the
    income left after housing is floored at ``floor_share`` of income so the log stays finite.

    Args:
        income: Income per quarter (wage or outside income, plus subsidies).
        housing_cost: Rent of the household's floor space per quarter.
        commute_minutes: One-way commute to the job, minutes (0 without a job).
        home_value: Value of the home cell (amenity and residential fundamental).
        barrier: Barrier of living across the HK–mainland border.
        kappa: Utility cost of one minute of commute.
        floor_share: Smallest share of income left after housing.

    Returns:
        Utility of the home, log-income units.
    """
    left = np.maximum(income - housing_cost, floor_share * income)
    return np.log(left) - np.log(income) - kappa * commute_minutes + home_value - barrier


def household_floor(
    floor_ref: float,
    income: np.ndarray,
    rent: np.ndarray,
    income_ref: float,
    rent_ref: float,
    income_elasticity: float,
    price_elasticity: float,
) -> np.ndarray:
    """Housing floor per worker: ``h = h₀·(y / y₀)^ε_y·(r / r₀)^(−ε_p)``, m².

    Args:
        floor_ref: Floor of the reference household, h₀ (m²).
        income: Income per quarter, y.
        rent: Rent per m² per quarter, r.
        income_ref: Reference income y₀.
        rent_ref: Reference rent r₀.
        income_elasticity: ε_y.
        price_elasticity: ε_p (absolute value).
    """
    y = np.maximum(np.asarray(income, dtype=float), 1e-9) / income_ref
    r = np.maximum(np.asarray(rent, dtype=float), 1e-9) / rent_ref
    return floor_ref * np.power(y, income_elasticity) * np.power(r, -price_elasticity)


def job_utility(income: np.ndarray, job_value: np.ndarray, barrier: np.ndarray) -> np.ndarray:
    """The part of utility a job decides: ``log(income) + job value − work barrier``."""
    return np.log(income) + job_value - barrier


def draw_origins(
    rng: np.random.Generator,
    city: np.ndarray,
    local_share: np.ndarray,
    hk_share_mainland: float,
    overseas_share: float,
) -> np.ndarray:
    """Origins of talent living or arriving in ``city`` (HK index 0).

    In Hong Kong, local talent are of Hong Kong origin; in the mainland cities a share
    ``hk_share_mainland`` comes from Hong Kong (graduates and founders crossing, seed 001).

    Args:
        rng: Random generator.
        city: City index of each agent.
        local_share: Share of local origin, per city.
        hk_share_mainland: Share of Hong Kong origin in mainland cities.
        overseas_share: Share of overseas origin.

    Returns:
        Origin codes (ORIGIN_*), int8.
    """
    local = np.asarray(local_share)[city]
    in_hk = city == 0
    hk = np.where(in_hk, local, hk_share_mainland)
    local = np.where(in_hk, 0.0, local)
    mainland = np.maximum(1.0 - local - hk - overseas_share, 0.0)
    cdf = np.cumsum(np.stack([local, mainland, hk, np.full(city.size, overseas_share)], axis=1), axis=1)
    u = rng.random(city.size)[:, None] * cdf[:, -1:]
    return np.minimum((u > cdf).sum(axis=1), 3).astype(np.int8)


def lognormal_skill(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Skills with mean 1 and log-sd ``sigma``."""
    return rng.lognormal(-0.5 * sigma**2, sigma, n).astype(np.float32)


def best_option(utility: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column of the best option per row and its utility (rows: agents, columns: options)."""
    choice = np.argmax(utility, axis=1)
    return choice, utility[np.arange(utility.shape[0]), choice]


# ---------------------------------------------------------------------------------------------
# attachment to Hong Kong: a persistent taste in the choice of border sides

PATTERN_SIDES = np.array([0, 1, 1, 2])
"""Sides in Hong Kong of each pattern ``2·home_in_hk + job_in_hk`` (00, 01, 10, 11): the
multiple of a talent's attachment the pattern carries."""


def attachment_grid(sd: float, taste_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Points and normal weights on which the attachment to Hong Kong is integrated.

    The spacing is a tenth of the narrower of the two dispersions, so the logit's smooth step
    (width ``taste_sd``) is resolved; with ``sd`` 0 the grid is the single point 0.

    Args:
        sd: Standard deviation of the attachment, log-income.
        taste_sd: Gumbel scale of the per-choice tastes, log-income.

    Returns:
        Points (log-income) and weights summing to 1.
    """
    if sd <= 0:
        return np.zeros(1), np.ones(1)
    n = int(min(max(1201, np.ceil(120.0 * sd / max(taste_sd, 1e-3))), 200_001)) | 1
    z = np.linspace(-6.0, 6.0, n)
    w = np.exp(-0.5 * z**2)
    return sd * z, w / w.sum()


def pattern_probabilities(level: np.ndarray, eta: np.ndarray, taste_sd: float) -> np.ndarray:
    """Logit probabilities of the four patterns of home and job sides, for each attachment.

    Args:
        level: (4,) value of each pattern (log-income, -inf for a pattern not offered), with the
            log of how often it is offered times ``taste_sd`` in.
        eta: (n,) attachments to Hong Kong, log-income per side.
        taste_sd: Gumbel scale of the tastes, log-income (a floor of 1e-3 keeps it a logit).

    Returns:
        (n, 4) probabilities.
    """
    z = (level[None, :] + eta[:, None] * PATTERN_SIDES[None, :]) / max(taste_sd, 1e-3)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def invert_patterns(
    shares: np.ndarray, level: np.ndarray, sd: float, taste_sd: float, tol: float = 1e-11, max_iter: int = 50_000
) -> np.ndarray:
    """Values of the four patterns of border sides that make ``shares`` the expected shares of
    a mixed logit: Gumbel tastes of scale ``taste_sd`` per choice and a normal attachment to
    Hong Kong of s.d. ``sd`` per side (Berry 1994's contraction ``v ← v + τ·(log s −
    log ŝ(v))``, which converges for any ``sd``).

    Args:
        shares: (4,) observed shares of the patterns (0 for a pattern nobody is in; it gets 0).
        level: (4,) what the patterns are worth without their value: mean utility of those in
            them plus ``taste_sd``·log of how often each is offered, log-income.
        sd: S.d. of the attachment, log-income.
        taste_sd: Gumbel scale of the tastes, log-income.
        tol: Largest change of a value at convergence, log-income.
        max_iter: Iterations before giving up (a ``RuntimeError``).

    Returns:
        (4,) values, log-income, the first present pattern's 0.
    """
    present = shares > 0
    value = np.zeros(4)
    if present.sum() < 2:
        return value
    eta, weight = attachment_grid(sd, taste_sd)
    tau = max(taste_sd, 1e-3)
    log_s = np.log(shares[present] / shares[present].sum())
    v = tau * log_s - level[present]
    lv = np.full(4, -np.inf)
    for _ in range(max_iter):
        lv[present] = level[present] + v
        predicted = weight @ pattern_probabilities(lv, eta, tau)
        step = tau * (log_s - np.log(np.maximum(predicted[present], 1e-300)))
        v = v + step
        v -= v[0]
        if np.abs(step).max() < tol:
            value[present] = v
            return value
    raise RuntimeError(f"the border patterns' inversion did not converge in {max_iter} iterations")


def draw_attachment(
    rng: np.random.Generator, pattern: np.ndarray, level: np.ndarray, sd: float, taste_sd: float
) -> np.ndarray:
    """Attachments to Hong Kong of talent observed in ``pattern``: draws from the attachment's
    distribution given the pattern chosen (normal prior times the pattern's logit probability),
    so those across the border are the ones who like it there and a newcomer drawing from the
    prior chooses, in expectation, as the observed population does.

    Args:
        rng: Random generator (one uniform per talent).
        pattern: (n,) observed pattern ``2·home_in_hk + job_in_hk`` of each talent.
        level: (4,) value of each pattern with its inverted value in (-inf: not offered).
        sd: S.d. of the attachment, log-income.
        taste_sd: Gumbel scale of the tastes, log-income.

    Returns:
        (n,) attachments, log-income per side.
    """
    u = rng.random(pattern.size)
    if sd <= 0:
        return np.zeros(pattern.size)
    eta, weight = attachment_grid(sd, taste_sd)
    posterior = weight[:, None] * pattern_probabilities(level, eta, taste_sd)
    out = np.zeros(pattern.size)
    for p in range(4):
        mine = pattern == p
        if mine.any():
            cdf = np.cumsum(posterior[:, p])
            i = np.searchsorted(cdf, u[mine] * cdf[-1])
            out[mine] = eta[np.minimum(i, eta.size - 1)]
    return out
