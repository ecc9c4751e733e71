"""A two-state Markov regime switch for market returns, fitted by the Hamilton filter.

Monthly (or any-frequency) log returns ``r_t`` follow, given a hidden regime ``s_t`` in
{calm, turbulent},

    r_t | s_t = i  ~  N(m_i, v_i),     P(s_t = i | s_{t-1} = i) = p_ii,

a Markov chain started from its stationary distribution ``pi_turbulent = (1 - p_cc) / (2 - p_cc - p_tt)``.
The log-likelihood is computed by the Hamilton (1989) filter: predict the regime probabilities
with the transition matrix, weight by each regime's density, normalise; the log of each
normaliser is that observation's contribution. Standard errors come from the inverse Hessian at
the optimum. In bubblesim's engine the same chain switches the drift and volatility of the rest of
the market and of the AI index's diffusion (``[market] regime = "markov"``), with per-step
leaving probabilities ``1 - exp(-rate dt)``: :func:`engine_parameters` converts a fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from .calibrate import at_bounds, standard_errors

__all__ = [
    "RegimeFit",
    "fit_regime",
    "hamilton_loglik",
    "stationary_turbulent",
    "engine_parameters",
    "regime_fragment",
    "REGIME_NAMES",
]

#: The fitted parameters, per period of the data (means and standard deviations of log returns).
REGIME_NAMES = ("m_calm", "s_calm", "m_turbulent", "s_turbulent", "p_calm", "p_turbulent")


def stationary_turbulent(p_calm: float, p_turbulent: float) -> float:
    """Long-run share of periods in the turbulent regime."""
    return (1.0 - p_calm) / (2.0 - p_calm - p_turbulent)


def hamilton_loglik(params, r: np.ndarray) -> float:
    """Log-likelihood of ``r`` under the regime switch ``params`` (see :data:`REGIME_NAMES`)."""
    m1, s1, m2, s2, p11, p22 = (float(x) for x in params)
    if s1 <= 0 or s2 <= 0 or not (0 < p11 < 1) or not (0 < p22 < 1):
        return -math.inf
    r = np.asarray(r, dtype=float)
    d1 = np.exp(-0.5 * ((r - m1) / s1) ** 2) / (s1 * math.sqrt(2 * math.pi))
    d2 = np.exp(-0.5 * ((r - m2) / s2) ** 2) / (s2 * math.sqrt(2 * math.pi))
    q2 = stationary_turbulent(p11, p22)  # P(turbulent | data so far), predicted for t = 0
    total = 0.0
    for a, b in zip(d1.tolist(), d2.tolist(), strict=True):
        j1, j2 = (1.0 - q2) * a, q2 * b
        f = j1 + j2
        if f <= 0.0:
            return -math.inf
        total += math.log(f)
        post2 = j2 / f
        q2 = (1.0 - post2) * (1.0 - p11) + post2 * p22  # predict the next period
    return total


@dataclass(frozen=True)
class RegimeFit:
    """Estimates per period, their standard errors, the log-likelihood and AIC."""

    params: dict[str, float]
    std_errors: dict[str, float]
    loglik: float
    n_returns: int
    dt: float

    @property
    def aic(self) -> float:
        return 2 * len(REGIME_NAMES) - 2 * self.loglik

    @property
    def turbulent_share(self) -> float:
        return stationary_turbulent(self.params["p_calm"], self.params["p_turbulent"])

    def expected_duration(self, regime: str) -> float:
        """Mean spell in periods: 1 / (1 - p_ii)."""
        stay = self.params[f"p_{regime}"]
        return math.inf if stay >= 1.0 else 1.0 / (1.0 - stay)

    @property
    def degenerate(self) -> str | None:
        """Why the optimum is not a regime switch, or None. A regime whose mean spell is under
        two periods alternates rather than persists (the fit is a mixture of two normals, not
        regimes), and one whose mean spell is longer than the data never switches within them:
        either way the data do not identify a switch, and the fit is not offered as a model."""
        for regime in ("calm", "turbulent"):
            spell = self.expected_duration(regime)
            if spell < 2.0:
                return f"the {regime} regime's mean spell is {spell:.2f} periods (under 2)"
            if spell > self.n_returns:
                return (
                    f"the {regime} regime's mean spell ({spell:,.0f} periods) is longer than the "
                    f"data ({self.n_returns:,})"
                )
        return None


def fit_regime(r: np.ndarray, dt: float) -> RegimeFit:
    """Maximum likelihood by the Hamilton filter, from a few starts; the calm regime is the quieter."""
    r = np.asarray(r, dtype=float)
    if r.size < 60:
        raise ValueError(f"only {r.size} returns; a regime switch needs at least 60")
    sd, mean = float(r.std()), float(r.mean())

    def unpack(z):
        return (
            z[0],
            math.exp(z[1]),
            z[2],
            math.exp(z[3]),
            special.expit(z[4]),
            special.expit(z[5]),
        )

    def neg(z):
        value = -hamilton_loglik(unpack(z), r)
        return value if math.isfinite(value) else 1e300

    best = None
    for calm_sd, turb_sd, stay in ((0.7, 2.0, 3.0), (0.8, 1.6, 2.0), (0.6, 2.5, 4.0)):
        z0 = [
            mean + 0.2 * sd,
            math.log(calm_sd * sd),
            mean - sd,
            math.log(turb_sd * sd),
            stay,
            stay - 1,
        ]
        res = optimize.minimize(neg, z0, method="Nelder-Mead",
                                options={"maxiter": 6000, "xatol": 1e-8, "fatol": 1e-9})  # fmt: skip
        if best is None or res.fun < best.fun:
            best = res
    z = np.asarray(best.x, dtype=float)
    if math.exp(z[1]) > math.exp(z[3]):  # label the quieter regime calm
        z = z[[2, 3, 0, 1, 5, 4]]
    theta = np.array(unpack(z))
    # the Hessian where the optimiser works (log sd, logit stay), mapped back by the delta
    # method: d theta / d z is 1 for a mean, sd for a log sd, p (1 - p) for a logit; a stay
    # probability at 0 or 1 (in floating point) is at a bound and gets no error
    se_z = standard_errors(lambda x: -hamilton_loglik(unpack(x), r), z)
    jacobian = np.array([1.0, theta[1], 1.0, theta[3], *(p * (1 - p) for p in theta[4:])])
    se = np.abs(jacobian) * se_z
    for i in (4, 5):
        if at_bounds([theta[i]], [(0.0, 1.0)])[0]:
            se[i] = math.nan
    return RegimeFit(
        params=dict(zip(REGIME_NAMES, map(float, theta), strict=True)),
        std_errors=dict(zip(REGIME_NAMES, map(float, se), strict=True)),
        loglik=hamilton_loglik(theta, r),
        n_returns=int(r.size),
        dt=dt,
    )


def engine_parameters(fit: RegimeFit) -> dict[str, tuple[float, float]]:
    """The fit as ``[market]`` keys of the engine -> (value, standard error), annualised.

    The engine's drift is arithmetic: ``mu = m / dt + s^2 / 2`` with ``s = sd / sqrt(dt)``; the
    exit rate is ``-ln(p_ii) / dt`` (per-step leaving probability ``1 - exp(-rate dt)``).
    """
    p, e, dt = fit.params, fit.std_errors, fit.dt
    out = {}
    for regime, drift_key, vol_key in (
        ("calm", "rest_drift", "rest_volatility"),
        ("turbulent", "rest_turbulent_drift", "rest_turbulent_volatility"),
    ):
        s = p[f"s_{regime}"] / math.sqrt(dt)
        out[drift_key] = (p[f"m_{regime}"] / dt + 0.5 * s**2, e[f"m_{regime}"] / dt)
        out[vol_key] = (s, e[f"s_{regime}"] / math.sqrt(dt))
        stay = p[f"p_{regime}"]
        out[f"{regime}_exit_rate"] = (-math.log(stay) / dt, e[f"p_{regime}"] / (stay * dt))
    return out


def regime_fragment(fit: RegimeFit, merton, source_name: str) -> str:
    """The TOML lines that set the rest of the market's regime switch (appended to the Merton fragment)."""
    where = (
        f"regime switch (Hamilton filter) on {source_name}, {merton.frequency} {merton.start} to "
        f"{merton.end} ({fit.n_returns} returns)"
    )
    if fit.degenerate:
        return (
            f"\n# No regime switch: its fit on {source_name} is degenerate ({fit.degenerate}),\n"
            "# so the data do not identify one; the rest of the market keeps one regime.\n"
        )
    lines = [
        "",
        "# The rest of the market as a calm/turbulent regime switch: "
        f"log-likelihood {fit.loglik:.2f} (Merton {merton.loglik:.2f}, GBM {merton.gbm_loglik:.2f}).",
        'regime = "markov"',
    ]
    for key, (value, err) in engine_parameters(fit).items():
        told = f"+/- {err:.2g} (s.e.)" if math.isfinite(err) else "(no standard error)"
        lines.append(f'{key} = {{ value = {value:.6g}, source = "{where}: {value:.4g} {told}" }}')
    return "\n".join(lines) + "\n"
