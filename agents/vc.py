"""Venture-capital funds: few, rich agents (plain ``mesa.Agent``), and the book of their stakes.

A fund is a manager's current vehicle: it raises committed capital, invests in stages (seed, A,
B) in start-ups within reach during its investment period, pays a management fee, collects
proceeds when portfolio firms list (in Hong Kong or Shenzhen) or are acquired, writes off those
that fail, and at the end of its life distributes what is left. A manager whose track record is
good raises a bigger next fund; one with a poor record leaves and a new manager starts.

Money is conserved fund by fund (:meth:`VCFund.accounting_gap` is zero):

    committed + proceeds = cash + invested + fees + distributions

— every yuan in a fund is in cash, in stakes (at cost, inside ``invested``), or was paid out.
"""

from __future__ import annotations

import mesa
import numpy as np

from corridor_abm.agents.population import Population

STAGE_NAMES = ("seed", "A", "B")
LIVE, EXITED, WRITTEN_OFF, SOLD_AT_END = 0, 1, 2, 3
STATUS_NAMES = ("live", "exited", "written off", "sold at end of fund")
EXIT_IPO_HK, EXIT_IPO_SZ, EXIT_ACQUISITION = 0, 1, 2
EXIT_NAMES = ("listing in Hong Kong", "listing in Shenzhen", "acquisition")


class StakeBook(Population):
    """Every stake any fund has taken, one row per deal.

    State: ``fund`` (unique id of the fund), ``firm``, ``stage`` (0 seed, 1 A, 2 B), ``cost``
    (¥ invested), ``share`` (ownership), ``quarter`` (of the deal), ``status`` (live, exited,
    written off, sold at the end of the fund), ``proceeds`` (¥ returned), ``closed`` (quarter).
    ``alive`` marks live stakes.
    """

    SCHEMA = {
        "alive": (np.bool_, False),
        "fund": (np.int64, -1),
        "firm": (np.int64, -1),
        "stage": (np.int8, 0),
        "cost": (np.float64, 0.0),
        "share": (np.float64, 0.0),
        "quarter": (np.int32, 0),
        "status": (np.int8, LIVE),
        "proceeds": (np.float64, 0.0),
        "closed": (np.int32, -1),
    }


class VCFund(mesa.Agent):
    """One venture fund (or a city's government guidance fund).

    Args:
        model: The corridor model.
        home_cell: Cell of the manager's office.
        home_city: City of that cell.
        committed: Capital raised, ¥ (all paid in at once).
        vintage: Quarter the fund was raised.
        manager: Identifier of the manager (kept across the manager's funds).
        guidance_city: City whose government owns the fund (-1 for a private fund).
    """

    def __init__(
        self,
        model: mesa.Model,
        home_cell: int,
        home_city: int,
        committed: float,
        vintage: int,
        manager: int,
        guidance_city: int = -1,
    ) -> None:
        super().__init__(model)
        self.home_cell = int(home_cell)
        self.home_city = int(home_city)
        self.manager = int(manager)
        self.guidance_city = int(guidance_city)
        self.vintage = int(vintage)
        self.committed = float(committed)
        self.cash = float(committed)
        self.invested = 0.0
        self.proceeds = 0.0
        self.fees = 0.0
        self.distributions = 0.0
        self.active = True

    @property
    def is_guidance(self) -> bool:
        """True for a government guidance fund."""
        return self.guidance_city >= 0

    def accounting_gap(self) -> float:
        """committed + proceeds − (cash + invested + fees + distributions): zero if money is conserved."""
        return self.committed + self.proceeds - (self.cash + self.invested + self.fees + self.distributions)

    def paid_out_multiple(self, live_value: float) -> float:
        """Track record: (distributions + cash + value of live stakes) over committed capital."""
        return (self.distributions + self.cash + live_value) / max(self.committed, 1.0)

    def invest(self, amount: float) -> None:
        """Move ``amount`` from cash into a stake (the caller hands it to the firm)."""
        if amount > self.cash + 1e-6:
            raise ValueError("a fund cannot invest more cash than it has")
        self.cash -= amount
        self.invested += amount

    def receive(self, amount: float) -> None:
        """Proceeds of an exit or sale come back as cash."""
        self.cash += amount
        self.proceeds += amount

    def pay_fee(self, amount: float) -> float:
        """Pay a management fee out of cash (never more than the cash); returns what was paid."""
        paid = min(amount, self.cash)
        self.cash -= paid
        self.fees += paid
        return paid

    def distribute(self) -> float:
        """Pay all cash out to the fund's investors; returns the amount."""
        paid = self.cash
        self.distributions += paid
        self.cash = 0.0
        return paid

    def add_capital(self, amount: float) -> None:
        """New commitments (a guidance fund's yearly budget from its government)."""
        self.committed += amount
        self.cash += amount


def reach(minutes: np.ndarray, reach_minutes: float, crosses_border: np.ndarray, friction: np.ndarray) -> np.ndarray:
    """How well a fund can see and follow a firm: decays with travel time, cut across the border.

    Args:
        minutes: Travel time from the fund's office to the firm.
        reach_minutes: Decay scale.
        crosses_border: True where fund and firm are on different sides of the HK–mainland border.
        friction: Capital friction that applies (lower in cooperation zones).

    Returns:
        Reach in [0, 1].
    """
    return np.exp(-minutes / reach_minutes) * np.where(crosses_border, 1.0 - friction, 1.0)


def pre_money_valuation(annual_output: np.ndarray, multiple: float, floor: float = 1e6) -> np.ndarray:
    """Pre-money valuation of a start-up: a multiple of its annual output, at least ``floor``."""
    return np.maximum(multiple * annual_output, floor)
