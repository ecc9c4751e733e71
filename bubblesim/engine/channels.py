"""The model's channels, one class per section of ``docs/model.md``, each on the state it owns.

:func:`bubblesim.engine.model.run_model_into` steps them in order. Every channel is built once per
block from the parameters (its constants, arrays over paths), sets its part of the state at the
start, reads what it needs at grid point ``k`` (``observe``) and moves its state from ``k`` to
``k + 1`` (``advance``). Values that one channel computes at ``k`` and another reads are put on
:class:`Now`; what is carried from step to step is on :class:`PathState`. Nothing here draws
random numbers or does I/O; :mod:`bubblesim.engine.reference` restates the same equations for one
path in plain Python.

1. :class:`DemandPrice`: GPU demand, LLM price, usage and AI revenue.
2. :class:`CapexCoverage`: required revenue, coverage, capex and the capital stock.
3. :class:`LabFunding`: the labs' burn, cash, funding stress, rounds and the funding pool.
4. :class:`HazardIndex`: the crash hazard, crashes, the bubble and the AI index.
5. :class:`BroadMarket`: the rest of the market, its regime and the broad market.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import ndtr

from .poisson import poisson_from_uniform

__all__ = [
    "INDEX_START",
    "PathState",
    "Now",
    "DemandPrice",
    "CapexCoverage",
    "LabFunding",
    "HazardIndex",
    "BroadMarket",
]

#: Level of the AI index, the rest of the market and the broad market at the start.
INDEX_START = 100.0


def _log1p_exp(x: np.ndarray) -> np.ndarray:
    """``ln(1 + e^x)`` without overflow (``x`` itself beyond 700, where they agree to 1e-300);
    cheaper than :func:`numpy.logaddexp`."""
    return np.log1p(np.exp(np.minimum(x, 700.0))) + np.maximum(x - 700.0, 0.0)


def _positive_part_mean(m: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``E[max(0, m + sd Z)]``, ``Z`` standard normal: ``m Phi(m / sd) + sd phi(m / sd)``
    (``max(0, m)`` where ``sd`` is 0)."""
    z = m / np.where(sd > 0, sd, 1.0)
    mean = m * ndtr(z) + sd * np.exp(-0.5 * z * z) * _INV_SQRT_2PI
    return np.where(sd > 0, mean, np.maximum(m, 0.0))


_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)

#: Three-point Gauss-Hermite rule for a standard normal: (node, weight).
_HERMITE_3 = ((-np.sqrt(3.0), 1.0 / 6.0), (0.0, 2.0 / 3.0), (np.sqrt(3.0), 1.0 / 6.0))


class PathState:
    """What a block of paths carries from one grid point to the next (arrays over paths)."""

    __slots__ = (
        # 1. demand and price: log demand growth, log price, log usage, log compute per unit
        "growth",
        "ln_price",
        "ln_usage",
        "ln_eff",
        # 2. capex: capital stock, last step's capex, the coverage gap at the start, and the cut
        #    that the market expected for this step when it priced the last one
        "capital",
        "prev_capex",
        "gap0",
        "expected_cut",
        # 3. lab: cash, failed for good, what the pool still holds, the peak investors remember
        "cash",
        "failed",
        "pool",
        "window_peak",
        # 4. the AI index: fundamental log level, bubble component, crash count,
        #    and ln(1 - failure_drop) x the market's odds of a lab failure, as priced and at the start
        "fundamental",
        "bubble",
        "crashes",
        "odds_level",
        "odds_level0",
        # 5. the rest of the market: log level, the regime
        "ln_rest",
        "turbulent",
    )


class Now:
    """What the channels compute at grid point ``k`` and hand to each other within the step."""

    __slots__ = (
        "revenue",
        "share",
        "required",
        "coverage",
        "gap",
        "gap_rise",
        "planned",
        "wants",
        "runway",
        "stress",
        "burn",
        "herding",
        "hazard",
        "cut",
        "capex",
        "ai_index",
        "window",
        "odds",
        "revenue_surprise",
        "compute_surprise",
        "ln_revenue_next",
        "revenue_sd",
        "expected_log_return",
        "index_sd",
        "expected_stress",
        "expected_odds",
        "fails",
        "jump",
    )


class DemandPrice:
    """1. GPU demand (exact OU growth), the price of equal capability, usage and AI revenue."""

    def __init__(self, p: Mapping[str, np.ndarray], dt: float, shock_median: np.ndarray):
        self.poisson = poisson_from_uniform
        sqdt = np.sqrt(dt)
        self.dt = dt
        self.g_long = np.log1p(p["gpu_demand.long_run_growth"])
        theta = p["gpu_demand.mean_reversion"]
        self.ou_decay = np.exp(-theta * dt)
        ou_sd = np.sqrt(
            np.where(
                theta > 0, -np.expm1(-2 * theta * dt) / (2 * np.where(theta > 0, theta, 1.0)), dt
            )
        )
        self.growth_noise = p["gpu_demand.growth_volatility"] * ou_sd
        lam_eff = p["gpu_demand.efficiency_shock_rate"]
        ln_gain = np.log(p["gpu_demand.efficiency_gain"])
        jevons = p["gpu_demand.jevons"]
        passthrough = p["gpu_demand.price_passthrough"]
        elasticity = p["llm_price.elasticity"]
        lam_pw = p["llm_price.price_war_rate"]
        self.ln_pw = np.log1p(-p["llm_price.price_war_drop"])
        # what the economy could pay for AI: world IT spending, growing
        self.ceiling0 = p["llm_price.revenue_ceiling"]
        # the unbounded revenue starts where its saturated value is initial_revenue
        start_share = np.minimum(p["llm_price.initial_revenue"] / self.ceiling0, 1.0 - 1e-9)
        self.revenue0 = p["llm_price.initial_revenue"] / (1.0 - start_share)
        self.ln_revenue0 = np.log(self.revenue0)
        self.ln_ceiling0 = np.log(self.ceiling0)
        self.ceiling_rate = np.log1p(p["llm_price.ceiling_growth"])
        self.eff_price = -passthrough * ln_gain  # log price move of one efficiency shock
        # the trend is net of the shocks: the median one-year log change is -ln(annual_decay)
        price_trend = -np.log(p["llm_price.annual_decay"]) - shock_median
        # expected log price change per year (trend plus the jumps' mean)
        price_mean = price_trend + lam_pw * self.ln_pw + lam_eff * self.eff_price
        # compute demand moved by one efficiency shock: eta cut net of Jevons, plus price response
        self.eff_compute = (-(1.0 - jevons) + elasticity * passthrough) * ln_gain
        self.eff_cut = -(1.0 - jevons) * ln_gain
        self.elasticity = elasticity
        self.one_minus_e = 1.0 - elasticity
        self.trend_dt = price_trend * dt
        self.price_noise = p["llm_price.volatility"] * sqdt
        self.usage_noise = p["gpu_demand.volatility"] * sqdt
        # one step's standard deviation of the unbounded log revenue's diffusion
        self.revenue_noise = np.hypot(self.one_minus_e * self.price_noise, self.usage_noise)
        self.price_mean_dt = price_mean * dt
        self.lam_eff_dt = lam_eff * dt
        self.lam_pw_dt = lam_pw * dt

    def start(self, st: PathState, p: Mapping[str, np.ndarray], n_paths: int) -> None:
        st.growth = np.log1p(p["gpu_demand.initial_growth"]).astype(float)
        st.ln_price = np.zeros(n_paths)
        st.ln_usage = np.zeros(n_paths)
        st.ln_eff = np.zeros(n_paths)  # compute per unit of capability

    def observe(self, st: PathState, now: Now, k: int, o_revenue: np.ndarray) -> None:
        """AI revenue, written into ``o_revenue``: ``R_u = initial_revenue exp(ln p + ln Q)``
        saturating below the ceiling ``C``, ``R = R_u / (1 + R_u / C)``; ``now.share = R / C``."""
        unbounded = np.exp(st.ln_price + st.ln_usage)
        unbounded *= self.revenue0
        ceiling = self.ceiling0 * np.exp(self.ceiling_rate * (k * self.dt))
        revenue = np.divide(ceiling, 1.0 + ceiling / unbounded, out=o_revenue)
        now.share = revenue / ceiling
        now.revenue = revenue

    def log_saturation(self, st: PathState, k: int) -> np.ndarray:
        """``ln(R / R_u) = -ln(1 + R_u / C)`` at grid point ``k``: how much of the usage the
        ceiling holds back (in logs, finite however far ``R_u`` runs past ``C``)."""
        ln_ceiling = self.ln_ceiling0 + self.ceiling_rate * (k * self.dt)
        return -_log1p_exp((self.ln_revenue0 + st.ln_price + st.ln_usage) - ln_ceiling)

    def expect(self, st: PathState, now: Now, k: int) -> None:
        """``E_k[ln R_{k+1}]``: unbounded revenue at its conditional mean, ``ln R_u + (g_k +
        (1 - e) mu_p) dt``, saturated below next step's ceiling (first order in the noise)."""
        unbounded = (
            self.ln_revenue0 + (st.ln_price + st.ln_usage) + st.growth * self.dt
        ) + self.one_minus_e * self.price_mean_dt
        ln_ceiling = self.ln_ceiling0 + self.ceiling_rate * ((k + 1) * self.dt)
        now.ln_revenue_next = unbounded - _log1p_exp(unbounded - ln_ceiling)
        now.revenue_sd = (1.0 - now.share) * self.revenue_noise

    def advance(self, st: PathState, now: Now, sh: Mapping[str, np.ndarray], k: int) -> None:
        """Price, usage, compute and growth from ``k`` to ``k + 1``; the step's surprises on ``now``."""
        n_eff = self.poisson(sh["efficiency"][k], self.lam_eff_dt)
        n_pw = self.poisson(sh["price_war"][k], self.lam_pw_dt)
        z_usage = self.usage_noise * sh["usage"][k]
        d_ln_price = (
            self.trend_dt + self.price_noise * sh["price"][k] + self.ln_pw * n_pw
        ) + self.eff_price * n_eff
        d_ln_usage = st.growth * self.dt - self.elasticity * d_ln_price + z_usage
        # revenue surprise against what the model itself expects given the state (mean zero),
        # damped by saturation: d ln R = (1 - R / C) d ln R_u, to first order
        now.revenue_surprise = (1.0 - now.share) * (
            self.one_minus_e * (d_ln_price - self.price_mean_dt) + z_usage
        )
        # compute needed per unit of capability: cut by the gain, less what Jevons wins back
        d_ln_eff = self.eff_cut * n_eff
        now.compute_surprise = self.eff_compute * (n_eff - self.lam_eff_dt)
        # exact Ornstein-Uhlenbeck transition (stable for any theta * dt)
        st.growth = (
            self.g_long
            + (st.growth - self.g_long) * self.ou_decay
            + self.growth_noise * sh["demand_growth"][k]
        )
        st.ln_price = st.ln_price + d_ln_price
        st.ln_usage = st.ln_usage + d_ln_usage
        st.ln_eff = st.ln_eff + d_ln_eff


class CapexCoverage:
    """2. Required revenue, coverage and its gap, realized capex and the capital stock."""

    def __init__(self, p: Mapping[str, np.ndarray], dt: float, cahn: bool, capex_plan):
        self.cahn = cahn
        self.capex_plan = capex_plan
        self.plan_scale = p["capex.plan_scale"]
        self.life = p["capex.useful_life"]
        self.margin = p["capex.margin"]
        self.gross_margin = p["capex.gross_margin"]
        self.target = p["capex.coverage_target"]
        self.c_gap = p["capex.discipline_gap"]
        self.c_stress = p["capex.discipline_stress"]
        self.decay_k = np.exp(-dt / self.life)
        self.recovery = 1.0 / self.life + p["capex.cost_of_capital"]
        self.stock_share = 1.0 - self.decay_k

    def start(self, st: PathState, p: Mapping[str, np.ndarray]) -> None:
        st.capital = p["capex.initial_stock"].astype(float)
        st.prev_capex = self.plan_scale * self.capex_plan[0]
        st.gap0 = None
        st.expected_cut = None

    def observe_coverage(
        self, st: PathState, now: Now, o_required: np.ndarray, o_coverage: np.ndarray
    ) -> None:
        """``R*``, ``G = R / R*``, the gap ``max(0, ln(G* / G))`` and its rise since the start,
        ``max(0, gap - gap_0)``, which the capex rule and the hazard read (the level compares
        total capex with AI revenue alone, and the market knew it at the start)."""
        if self.cahn:
            required = st.prev_capex / (1.0 - self.gross_margin)
        else:
            required = st.capital * self.recovery / self.margin
        now.required = np.maximum(required, 1e-9, out=o_required)
        now.coverage = np.divide(now.revenue, now.required, out=o_coverage)
        gap = np.log(self.target / now.coverage)
        np.maximum(gap, 0.0, out=gap)
        if st.gap0 is None:
            st.gap0 = gap
        now.gap = gap
        now.gap_rise = np.maximum(gap - st.gap0, 0.0)

    def observe_capex(self, st: PathState, now: Now, k: int, o_capex: np.ndarray) -> None:
        """The log cut against plan and realized capex, from the gap's widening and stress."""
        now.cut = self.c_gap * now.gap_rise + self.c_stress * now.stress
        capex = np.exp(-now.cut, out=o_capex)
        capex *= self.plan_scale * self.capex_plan[k]
        now.capex = capex

    def advance(self, st: PathState, now: Now) -> None:
        """``K`` over the step: the exact solution of ``K' = I - K / L`` with ``I`` held."""
        st.capital = st.capital * self.decay_k + now.capex * self.life * self.stock_share
        st.prev_capex = now.capex

    def expect(self, st: PathState, now: Now) -> None:
        """``E_k[cut_{k+1}]``: next step's cut at the expected revenue and the expected stress.

        ``R*_{k+1}`` is known at ``k`` (the capital after this step's capex, or this step's capex
        under Cahn's rule); the gap's rise is averaged over the revenue's diffusion noise (its
        jumps, rare in a step, are left out), the stress over whether a round closes."""
        if self.cahn:
            required = st.prev_capex / (1.0 - self.gross_margin)
        else:
            required = st.capital * self.recovery / self.margin
        required = np.maximum(required, 1e-9)
        # the gap's rise is max(0, y - gap_0), y = ln(G* R*) - ln R (gap_0 >= 0): its mean over
        # the revenue's normal noise (Bachelier), so the kink where every path starts is priced
        rise = _positive_part_mean(
            np.log(self.target * required) - now.ln_revenue_next - st.gap0, now.revenue_sd
        )
        st.expected_cut = self.c_gap * rise + self.c_stress * now.expected_stress


class LabFunding:
    """3. The labs' planned burn, funding stress, burn, rounds, the funding pool and failure."""

    def __init__(self, p: Mapping[str, np.ndarray], dt: float, burn_plan, revenue_plan):
        self.dt = dt
        self.burn_plan = burn_plan
        self.revenue_plan = revenue_plan
        self.gross_margin = p["capex.gross_margin"]
        self.burn_scale = p["cash_burn.burn_scale"]
        self.rev_share = p["cash_burn.revenue_share"]
        self.burn_cut = p["cash_burn.stress_burn_cut"]
        self.raise_months = p["cash_burn.raise_runway_months"]
        self.stress_months = p["cash_burn.stress_runway_months"]
        self.round_rate = p["cash_burn.round_rate"]
        self.round_years = p["cash_burn.round_size_years"]
        self.pool_size = p["cash_burn.investor_pool"] * p["cash_burn.pool_share"]
        self.pool_cut = p["cash_burn.pool_stress_cut"]
        self.window_sens = p["cash_burn.window_sensitivity"]
        self.ln_failure = np.log1p(-p["cash_burn.failure_drop"])
        # the remembered peak's log distance above the index fades by this factor a step
        self.memory = np.exp(-np.log(2.0) * dt / p["cash_burn.window_memory"])

    def start(self, st: PathState, p: Mapping[str, np.ndarray], n_paths: int) -> None:
        st.window_peak = None
        st.cash = p["cash_burn.initial_cash"].astype(float)
        st.failed = np.zeros(n_paths, dtype=bool)
        st.pool = self.pool_size.astype(float)  # funding the lab can still raise

    def planned_burn(self, k: int, revenue: np.ndarray) -> np.ndarray:
        """The burn plan at ``k`` plus ``gross_margin`` of the labs' revenue shortfall on plan."""
        return self.burn_scale * self.burn_plan[k] + self.gross_margin * (
            self.revenue_plan[k] - self.rev_share * revenue
        )

    def stress_after(self, cash: np.ndarray, plan: tuple) -> np.ndarray:
        """Stress of a lab that ends the step with ``cash`` (before the floor) and plans the
        burn of ``plan`` (:meth:`_plan`): 0 if it has failed (``cash < 0``) or plans no burn, 1
        at exactly no cash."""
        divisor, no_plan = plan
        stress = np.multiply(12.0, cash)
        stress /= divisor  # the runway in months
        stress /= self.stress_months
        np.subtract(1.0, stress, out=stress)
        np.clip(stress, 0.0, 1.0, out=stress)
        stress[np.flatnonzero(cash == 0)] = 1.0
        stress[np.flatnonzero(cash < 0)] = 0.0
        stress[no_plan] = 0.0
        return stress

    @staticmethod
    def _plan(planned: np.ndarray) -> tuple:
        """What every runway reads of a planned burn: the divisor (1 where no burn is planned)
        and where no burn is planned (indices)."""
        return np.where(planned > 0, planned, 1.0), np.flatnonzero(planned <= 0)

    def failure_odds(self, cash: np.ndarray, planned: np.ndarray, rate: np.ndarray) -> np.ndarray:
        """The market's chance that a lab ending a step with ``cash`` fails: 1 if it already has
        (``cash < 0``), 0 if it plans no burn, else the chance that no round closes, at ``rate``
        a year, before its cash runs out (it seeks one from ``raise_runway_months`` of runway):
        ``exp(-rate min(C / P, raise_runway_months / 12))``."""
        return self._odds_at(self._runway_years(cash, self._plan(planned)), rate)

    def _runway_years(self, cash: np.ndarray, plan: tuple) -> tuple:
        """What :meth:`failure_odds` reads of ``cash`` and a plan (:meth:`_plan`) whatever the
        rate: the years a round is sought for, and where the odds are 0 and 1 (indices; worked
        out once for the several rates of an expectation)."""
        divisor, no_plan = plan
        years = np.divide(cash, divisor)
        np.clip(years, 0.0, self.raise_months / 12.0, out=years)
        return years, no_plan, np.flatnonzero(cash < 0)

    @staticmethod
    def _odds_at(runway: tuple, rate: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``exp(-rate years)``, 0 where no burn is planned, 1 where the lab has failed."""
        years, no_plan, failed = runway
        odds = np.multiply(rate, years, out=out)
        np.negative(odds, out=odds)
        np.exp(odds, out=odds)
        odds[no_plan] = 0.0
        odds[failed] = 1.0
        return odds

    def observe_window(self, st: PathState, now: Now, ai_index: np.ndarray, odds: bool) -> None:
        """The funding window ``W = exp(-window_sensitivity DD)`` from the AI index's drawdown
        below the peak investors remember (which fades toward the index at the half-life
        ``window_memory``, so ``W`` does not drift down in a calm market) and, with ``odds``, the
        market's odds that the lab fails (1 once it has)."""
        level = np.maximum(ai_index, 1e-300)  # an index that has underflowed to 0 is far down
        if st.window_peak is None:
            st.window_peak = level.copy()
        else:
            st.window_peak = np.maximum(level * (st.window_peak / level) ** self.memory, level)
        now.window = np.exp(-self.window_sens * (1.0 - level / st.window_peak))
        if odds:
            now.odds = self.failure_odds(st.cash, now.planned, self.round_rate * now.window)
            now.odds[st.failed] = 1.0

    def next_windows(self, now: Now, ahead: np.ndarray):
        """Next step's window at the nodes of a three-point Gauss-Hermite rule over the index's
        one-step log return (standard deviation ``now.index_sd``) about ``ahead``, the expected
        log distance from the remembered peak a step on (:meth:`_ahead`, plus any lift): the
        peak fades toward the index, ``A / H = min(1, (A_{k+1} / H_k)^phi_W)``, so the window's
        expected reopening and its kink at the peak are both in the market's expectation.
        Yields ``(weight, W)``, each ``W`` a fresh array."""
        for node, weight in _HERMITE_3:
            w = np.multiply(node, now.index_sd)
            w += ahead
            w *= self.memory
            np.minimum(w, 0.0, out=w)
            np.exp(w, out=w)  # A / H
            np.subtract(1.0, w, out=w)
            w *= self.window_sens
            np.negative(w, out=w)
            yield weight, np.exp(w, out=w)

    @staticmethod
    def _ahead(st: PathState, now: Now) -> np.ndarray:
        """The index's expected log distance from its remembered peak a step on."""
        level = np.maximum(now.ai_index, 1e-300)
        return np.log(level / st.window_peak) + now.expected_log_return

    def observe(self, st: PathState, now: Now, k: int) -> None:
        """Planned burn (against the labs' own revenue plan), runway, stress and burn at ``k``."""
        planned = self.planned_burn(k, now.revenue)
        wants = planned > 0
        runway = np.where(wants, 12.0 * st.cash / np.where(wants, planned, 1.0), np.inf)
        stress = np.clip(1.0 - runway / self.stress_months, 0.0, 1.0)
        stress[st.cash <= 0] = 1.0
        # nothing left to fund: a lab with no planned burn, or one that has failed (it spends
        # only what it earns; its failure was priced once, when it happened)
        stress[~wants | st.failed] = 0.0
        # a stressed lab cuts its burn; a lab that has run out of cash spends only what it earns
        now.burn = np.where(
            st.failed, np.minimum(planned, 0.0), planned * (1.0 - self.burn_cut * stress)
        )
        now.planned, now.wants, now.runway, now.stress = planned, wants, runway, stress

    def advance(
        self, st: PathState, now: Now, sh: Mapping[str, np.ndarray], k: int, expect: bool
    ) -> None:
        """Rounds, the pool and cash from ``k`` to ``k + 1``; ``now.fails`` where the lab fails.

        With ``expect`` (the market's channels are on), also what the market expects at ``k`` of
        step ``k + 1``, over whether a sought round closes and at the expected revenue
        (``now.ln_revenue_next``): the stress (``now.expected_stress``) and the failure odds
        (``now.expected_odds``, at this step's window)."""
        window = now.window
        seeking = now.wants & ~st.failed & (now.runway < self.raise_months)
        chance = -np.expm1(-self.round_rate * window * self.dt)
        closes = seeking & (sh["funding"][k] < chance)
        offer = np.minimum(self.round_years * now.planned, st.pool)
        raised = np.where(closes, offer, 0.0)
        if expect:
            no_round = st.cash - now.burn * self.dt
            with_round = no_round + offer
            close = np.where(seeking, chance, 0.0)
            planned = self.planned_burn(k + 1, np.exp(now.ln_revenue_next))
            plan = self._plan(planned)
            live = ~st.failed
            now.expected_stress = live * (
                close * self.stress_after(with_round, plan)
                + (1.0 - close) * self.stress_after(no_round, plan)
            )

            runway_with = self._runway_years(with_round, plan)  # the same at every rate
            runway_without = self._runway_years(no_round, plan)
            open_ = 1.0 - close
            failed = np.flatnonzero(st.failed)
            ahead = self._ahead(st, now)
            with_odds, without_odds = np.empty_like(close), np.empty_like(close)

            def expected_odds(lift):
                odds = np.zeros_like(close)
                for weight, w_next in self.next_windows(now, ahead + lift):
                    rate = np.multiply(self.round_rate, w_next, out=w_next)
                    term = self._odds_at(runway_with, rate, with_odds)
                    term *= close
                    term += self._odds_at(runway_without, rate, without_odds) * open_
                    term *= weight
                    odds += term
                odds[failed] = 1.0
                return odds

            # the compensation of the odds' expected change lifts the index the window reads:
            # one fixed-point step puts it into the expectation it depends on
            first = expected_odds(0.0)
            now.expected_odds = expected_odds(-self.ln_failure * (first - now.odds))
        # the pool refills over the year, slower under stress, up to a year's share
        st.pool = np.minimum(
            st.pool - raised + self.pool_size * (1.0 - self.pool_cut * now.stress) * self.dt,
            self.pool_size,
        )
        cash = st.cash - now.burn * self.dt + raised
        # the lab runs out of cash: it fails once, cash is floored at zero
        now.fails = cash < 0
        st.cash = np.maximum(cash, 0.0)
        st.failed = st.failed | now.fails


class HazardIndex:
    """4. The crash hazard, crashes, the bubble component and the AI index."""

    def __init__(self, p: Mapping[str, np.ndarray], dt: float, feedback: bool, compensate: bool):
        self.poisson = poisson_from_uniform
        self.index_start = INDEX_START
        self.dt = dt
        self.fb = feedback
        self.comp = compensate
        self.h0 = p["market.hazard_base"]
        self.h1 = p["market.hazard_bubble"]
        q = p["market.hazard_bubble_power"]
        if (q == q[0]).all():  # one power for every path: a scalar exponent (2 is a plain square)
            q = float(q[0])
        self.q = q
        self.h2 = p["market.hazard_coverage"]
        self.h3 = p["market.hazard_stress"]
        self.drag = p["market.valuation_drag"]
        self.beta_rev = p["market.revenue_beta"]
        self.beta_compute = p["market.compute_beta"]
        self.beta_capex = p["market.capex_beta"]
        self.b0 = p["market.initial_overvaluation"]
        self.ln_failure = np.log1p(-p["cash_burn.failure_drop"])
        self.jump_mean = np.log1p(-p["market.crash_size"])
        self.jump_sd = p["market.crash_size_volatility"]
        self.kappa_bar = -np.expm1(self.jump_mean + 0.5 * self.jump_sd**2)

    def start(self, st: PathState, n_paths: int) -> None:
        st.fundamental = np.zeros(n_paths)
        st.bubble = self.b0.astype(float)
        st.crashes = np.zeros(n_paths)
        st.odds_level = st.odds_level0 = None

    def observe_hazard(self, st: PathState, now: Now) -> None:
        """``h = h0 + fb [h1 max(b, 0)^q + h2 max(0, gap - gap_0) + h3 S]``."""
        if self.fb:
            now.herding = self.h1 * np.maximum(st.bubble, 0.0) ** self.q
            now.hazard = self.h0 + (now.herding + self.h2 * now.gap_rise + self.h3 * now.stress)
        else:
            now.hazard = self.h0

    def observe_index(self, st: PathState, now: Now, o_ai: np.ndarray) -> None:
        """Prices the step's capex news, then ``A = 100 exp(x + b - b_0 + L_{k-1} - L_0)`` with
        last step's failure odds ``L``, from which the funding window is read.

        The news is the cut against what the market expected of it a step earlier
        (``st.expected_cut``): a cut that was coming is in the price already."""
        if self.fb and st.expected_cut is not None:
            st.fundamental = st.fundamental - self.beta_capex * (now.cut - st.expected_cut)
        if st.odds_level is None:
            ai_index = np.exp(st.fundamental + st.bubble - self.b0, out=o_ai)
        else:
            ai_index = np.exp(
                (st.fundamental + st.bubble - self.b0) + (st.odds_level - st.odds_level0), out=o_ai
            )
        ai_index *= self.index_start
        now.ai_index = ai_index

    def price_odds(self, st: PathState, now: Now) -> None:
        """The failure odds as a level: ``A`` is ``(1 - failure_drop)^(odds - odds_0)`` times
        the rest (their expected change is compensated in :meth:`advance_fundamental`, so only
        their news moves it)."""
        if self.fb:
            level = self.ln_failure * now.odds
            if st.odds_level0 is None:
                st.odds_level0 = level  # the odds at the start are in the starting level
            else:
                now.ai_index *= np.exp(level - st.odds_level)
            st.odds_level = level

    def expect(self, now: Now, st: PathState, drift_ai, noise_ai) -> None:
        """``E_k[ln A_{k+1} - ln A_k]`` before the failure odds move: the diffusion's drift in
        the step's regime, the JLS compensation, the valuation drag and the crashes' mean jump
        (the news terms have mean zero)."""
        comp = self.kappa_bar * now.hazard if self.comp else 0.0
        now.expected_log_return = (
            drift_ai + ((comp - self.drag * st.bubble) + now.hazard * self.jump_mean) * self.dt
        )
        now.index_sd = noise_ai  # the diffusion's, in the step's regime

    def advance_crashes(self, st: PathState, now: Now, sh: Mapping[str, np.ndarray], k: int):
        """Crashes and the bubble from ``k`` to ``k + 1``; the step's log jump on ``now.jump``."""
        n_crash = self.poisson(sh["crash"][k], now.hazard * self.dt)
        jump = np.zeros(n_crash.shape)  # crashes are rare: their sizes only where there is one
        hit = np.flatnonzero(n_crash)
        if hit.size:
            c = n_crash[hit]
            jump[hit] = (
                c * self.jump_mean[hit] + np.sqrt(c) * self.jump_sd[hit] * sh["crash_size"][k][hit]
            )
        st.crashes = st.crashes + n_crash
        if self.fb:
            if self.comp:  # JLS: investors see the whole hazard and are paid for bearing it
                drift = self.kappa_bar * now.hazard - self.drag * st.bubble
            else:
                drift = 0.0 - self.drag * st.bubble
            st.bubble = st.bubble + drift * self.dt + jump
        else:
            st.bubble = st.bubble + jump
        now.jump = jump

    def advance_fundamental(
        self, st: PathState, now: Now, z_ai: np.ndarray, drift_ai, noise_ai
    ) -> None:
        """The fundamental part: its diffusion (in the step's regime) and the step's surprises."""
        st.fundamental = st.fundamental + drift_ai + noise_ai * z_ai
        if self.fb:
            # the failure odds' expected change is compensated: only their news moves the index
            st.fundamental = (
                st.fundamental
                + self.beta_rev * now.revenue_surprise
                + self.beta_compute * now.compute_surprise
            ) - self.ln_failure * (now.expected_odds - now.odds)


class BroadMarket:
    """5. The market regime, the rest of the market and the broad market ``w A + (1 - w) Rest``."""

    def __init__(self, p: Mapping[str, np.ndarray], dt: float, markov: bool, kappa_bar_terms):
        self.index_start = INDEX_START
        self.dt = dt
        sqdt = np.sqrt(dt)
        self.sqdt = sqdt
        self.markov = markov
        self.mu_rest = p["market.rest_drift"]
        self.s_rest = p["market.rest_volatility"]
        self.rho = p["market.correlation"]
        self.rho_rest = np.sqrt(1.0 - self.rho**2)
        self.weight = p["market.mag7_weight"]
        self.contagion = p["market.contagion"]
        self.drag = p["market.valuation_drag"]
        self.rest_b0 = p["market.rest_overvaluation"]
        # the rest's valuation drag (0 when not overvalued)
        self.rest_priced = bool(np.any(self.rest_b0 != 0.0))
        jump_mean, jump_sd = kappa_bar_terms
        # the rest's drift includes contagion: compensate E[exp(contagion * J)] per crash
        self.kappa_rest = -np.expm1(
            self.contagion * jump_mean + 0.5 * (self.contagion * jump_sd) ** 2
        )
        # market regime (volatility clustering): calm and turbulent drift and volatility
        self.leave_calm = -np.expm1(-p["market.calm_exit_rate"] * dt)
        self.leave_turb = -np.expm1(-p["market.turbulent_exit_rate"] * dt)
        # stationary probability of turbulence
        self.turb_share = self.leave_calm / (self.leave_calm + self.leave_turb)
        self.mu_rest_t = p["market.rest_turbulent_drift"]
        self.s_rest_t = p["market.rest_turbulent_volatility"]
        mu_ai, s_ai = p["market.ai_drift"], p["market.ai_volatility"]
        mu_ai_t, s_ai_t = p["market.ai_turbulent_drift"], p["market.ai_turbulent_volatility"]
        # the AI index's log drift and volatility per step, calm and turbulent
        self.ai_drift_dt = (mu_ai - 0.5 * s_ai**2) * dt
        self.ai_noise = s_ai * sqdt
        self.ai_drift_dt_t = (mu_ai_t - 0.5 * s_ai_t**2) * dt
        self.ai_noise_t = s_ai_t * sqdt

    def start(self, st: PathState, sh: Mapping[str, np.ndarray], n_paths: int) -> None:
        st.ln_rest = np.full(n_paths, np.log(self.index_start))
        # the regime at k = 0 is drawn from the chain's stationary distribution
        st.turbulent = (sh["regime"][0] < self.turb_share) if self.markov else None

    def observe(self, st: PathState, now: Now, o_market: np.ndarray) -> None:
        rest = np.exp(st.ln_rest)
        np.add(self.weight * now.ai_index, (1.0 - self.weight) * rest, out=o_market)

    def ai_diffusion(self, st: PathState):
        """The AI index's log drift and volatility per step in each path's regime."""
        if self.markov:
            tb = st.turbulent
            return (
                np.where(tb, self.ai_drift_dt_t, self.ai_drift_dt),
                np.where(tb, self.ai_noise_t, self.ai_noise),
            )
        return self.ai_drift_dt, self.ai_noise

    def advance(
        self, st: PathState, now: Now, sh: Mapping[str, np.ndarray], k: int, n_steps: int
    ) -> None:
        """The rest of the market from ``k`` to ``k + 1`` (contagion compensated), then the regime."""
        t = k * self.dt
        if self.markov:
            tb = st.turbulent
            m_rest = np.where(tb, self.mu_rest_t, self.mu_rest)
            v_rest = np.where(tb, self.s_rest_t, self.s_rest)
        else:
            m_rest, v_rest = self.mu_rest, self.s_rest
        if self.rest_priced:
            m_rest = m_rest - self.drag * (self.rest_b0 * np.exp(-self.drag * t))
        st.ln_rest = (
            st.ln_rest
            + (m_rest + self.kappa_rest * now.hazard - 0.5 * v_rest**2) * self.dt
            + v_rest * self.sqdt * (self.rho * sh["ai"][k] + self.rho_rest * sh["rest"][k])
            + self.contagion * now.jump
        )
        if self.markov and k + 1 < n_steps:  # the regime for the next step
            u = sh["regime"][k + 1]
            st.turbulent = np.where(st.turbulent, u >= self.leave_turb, u < self.leave_calm)
