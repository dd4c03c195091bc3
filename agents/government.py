"""City governments: four rich agents (plain ``mesa.Agent``) with a budget and policy levers.

Each government collects revenue (profit tax of firms, tax on skilled wages, the taxes of the
rest of the economy, land sales, incubator repayments, interest on reserves) and spends it: on
recurrent budget items (public services, transfers, infrastructure and administration, debt
service) and on the levers of the documents (L1–L8): new land and urban renewal, talent
subsidies and talent housing, start-up rent subsidies, R&D subsidies, extra public services,
incubator grants, its guidance fund and (Shenzhen) cross-city parks. Reserves hold all past
revenue less all past spending; they may fall below zero (debt) down to a borrowing limit, and
no spending is granted beyond it:

    reserves(t+1) = reserves(t) + revenue(t) − spending(t),   reserves(t+1) ≥ −credit_limit(t).

A lever is either fixed (its parameter) or follows an adaptive rule: more land when firms leave,
austerity when reserves run low.
"""

from __future__ import annotations

import mesa
import numpy as np

REVENUE_SOURCES = ("profit_tax", "wage_tax", "other_taxes", "land_sales", "incubator_repayments", "interest")
RECURRENT = ("public_services", "transfers", "infrastructure", "debt_service")
"""Recurrent budget items (the fiscal rule of :mod:`model.processes.government` sets them)."""
LEVERS = (
    "land",
    "talent_subsidy",
    "talent_housing",
    "startup_rent_subsidy",
    "rd_subsidy",
    "services",
    "incubators",
    "guidance_fund",
    "parks",
)


class CityGovernment(mesa.Agent):
    """The government of one city.

    Args:
        model: The corridor model.
        city: City index (0 HK, 1 SZ, 2 DG, 3 HZ).
        reserves: Reserves at the start, ¥.
        land_multiplier: Land-supply multiplier at the start (lever L1).
        hospital_beds: Hospital beds per 10k residents at the start.
        students_per_teacher: Secondary students per teacher at the start.
    """

    def __init__(
        self,
        model: mesa.Model,
        city: int,
        reserves: float,
        land_multiplier: float,
        hospital_beds: float,
        students_per_teacher: float,
    ) -> None:
        super().__init__(model)
        self.city = int(city)
        self.reserves = float(reserves)
        self.land_multiplier = float(land_multiplier)
        self.hospital_beds = float(hospital_beds)
        self.students_per_teacher = float(students_per_teacher)
        self.subsidy_factor = 1.0
        self.revenue: dict[str, float] = dict.fromkeys(REVENUE_SOURCES, 0.0)
        self.spending: dict[str, float] = dict.fromkeys(LEVERS + RECURRENT, 0.0)
        self.opening_reserves = self.reserves
        self.last_revenue = 0.0
        self.trend_revenue = 0.0
        self.credit_limit = 0.0
        self.other_tax_share = 0.0
        self.shortfall = 0.0

    def open_quarter(self) -> None:
        """Start a quarter's books (last quarter's revenue is kept in ``last_revenue``)."""
        self.last_revenue = self.total_revenue
        self.revenue = dict.fromkeys(REVENUE_SOURCES, 0.0)
        self.spending = dict.fromkeys(LEVERS + RECURRENT, 0.0)
        self.opening_reserves = self.reserves
        self.shortfall = 0.0

    def collect(self, source: str, amount: float) -> None:
        """Book revenue; it is available for spending at once."""
        if amount < 0:
            raise ValueError("revenue cannot be negative")
        self.revenue[source] += amount
        self.reserves += amount

    @property
    def capacity(self) -> float:
        """What the government can still spend now: reserves plus what it may borrow, ¥."""
        return max(self.reserves + self.credit_limit, 0.0)

    def spend(self, item: str, amount: float, force: bool = False) -> float:
        """Spend up to ``amount`` on a lever or budget item, never beyond the borrowing limit
        (``force``: debt service, which is always paid); returns what was spent. What the
        limit refuses is counted in ``shortfall`` (the budget constraint binds)."""
        wanted = max(amount, 0.0)
        granted = wanted if force else min(wanted, self.capacity)
        self.shortfall += wanted - granted
        self.spending[item] += granted
        self.reserves -= granted
        return granted

    def affordable_share(self, amount: float) -> float:
        """Share of ``amount`` the reserves and the borrowing limit can pay now (1 if all)."""
        return 1.0 if amount <= self.capacity else self.capacity / amount

    @property
    def lever_spending(self) -> float:
        """Spending on the policy levers this quarter."""
        return sum(self.spending[k] for k in LEVERS)

    @property
    def total_revenue(self) -> float:
        """Revenue this quarter."""
        return sum(self.revenue.values())

    @property
    def total_spending(self) -> float:
        """Spending this quarter."""
        return sum(self.spending.values())

    def budget_gap(self) -> float:
        """opening reserves + revenue − spending − reserves: zero when the books balance."""
        return self.opening_reserves + self.total_revenue - self.total_spending - self.reserves


def service_index(hospital_beds, students_per_teacher, beds_reference: float, students_reference: float) -> np.ndarray:
    """Public-service index (0–1.5) from hospital beds and class ratios, per city.

    Args:
        hospital_beds: Hospital beds per 10k residents, per city.
        students_per_teacher: Secondary students per teacher, per city.
        beds_reference: Beds at which the health index reaches 1.
        students_reference: Class ratio at which the school index reaches 1.
    """
    beds = np.asarray(hospital_beds, dtype=float) / beds_reference
    schools = students_reference / np.asarray(students_per_teacher, dtype=float)
    return np.clip(0.5 * (beds + schools), 0.0, 1.5)
