"""The cross-section of bubbles: industry run-ups, the crashes that followed, and a fitted hazard.

In the spirit of Greenwood, Shleifer & You ("Bubbles for Fama", Journal of Financial Economics
2019): on a panel of monthly industry returns with the market's,

* a **run-up** at month ``t``: the industry's return over the past ``years`` (default 2) exceeds
  ``runup`` (default 100%) both raw and, with ``net``, net of the market (the industry's return
  less the market's over the same months), and its raw return over the past five years exceeds
  50%. An **episode** is the first month that qualifies; the qualifying months within two years
  after it belong to it.
* a **crash** after month ``t``: a fall of at least ``crash`` (default 40%) from a running peak
  within ``crash_years`` (default 2) after ``t`` (the peak may be ``t`` itself).

Every industry-month with the full windows behind and ahead of it carries its trailing run-up,
volatility and acceleration and whether a crash followed; the crash share among episodes, among
all industry-months and by run-up bucket, and a logistic hazard fitted on the industry-months
(:func:`fit_hazard`, statsmodels, standard errors clustered by industry: overlapping windows of
one industry are far from independent) are read from them.

The bundled panel is Kenneth R. French's 49 US industry portfolios, value-weighted, monthly
1969-07 to 2021-12, with the market (``bubblesim/history/data/README.md``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.estimates import wilson_interval
from .prices import existing_csv

__all__ = [
    "BUILTIN_PANELS",
    "BubbleSettings",
    "Panel",
    "industries49",
    "read_panel",
    "panel_from_frame",
    "industry_months",
    "find_episodes",
    "crash_summary",
    "runup_buckets",
    "HazardFit",
    "fit_hazard",
    "out_of_sample",
    "crash_sizes",
    "group_crash",
    "TECH_INDUSTRIES",
    "RUNUP_BUCKETS",
    "FALL_BUCKETS",
    "HAZARD_TERMS",
    "EXTENDED_TERMS",
    "bubbles_report",
    "BOOTSTRAP_REPLICATES",
]

#: Names accepted by ``--builtin``: name -> description.
BUILTIN_PANELS = {
    "industries49": "49 US industry portfolios, value-weighted, monthly 1969-07 to 2021-12 "
    "(French data library), with the market",
}

#: The industries of the 1999-2002 technology crash (French's 49-industry names).
TECH_INDUSTRIES = ("Hardw", "Softw", "Chips", "Telcm")

#: Trailing net run-up buckets: (low, high), high None for the open top bucket.
RUNUP_BUCKETS = ((0.0, 0.5), (0.5, 1.0), (1.0, 1.5), (1.5, None))

#: The same below zero (industries that fell against the market), low None for the open bottom.
FALL_BUCKETS = ((None, -0.5), (-0.5, 0.0))

#: Industry-bootstrap replicates behind the bucket and unconditional intervals (fixed seed).
BOOTSTRAP_REPLICATES = 1000
BOOTSTRAP_SEED = 20190101

#: Raw return over the past five years a run-up must also exceed (Greenwood, Shleifer & You).
FIVE_YEAR_RUNUP = 0.5


@dataclass(frozen=True)
class BubbleSettings:
    """The episode and crash definitions (``bubblesim bubbles`` options)."""

    years: float = 2.0
    runup: float = 1.0
    net: bool = True
    crash: float = 0.4
    crash_years: float = 2.0

    @property
    def lookback(self) -> int:
        return max(1, int(round(12 * self.years)))

    @property
    def horizon(self) -> int:
        return max(1, int(round(12 * self.crash_years)))


@dataclass(frozen=True)
class Panel:
    """Monthly returns: ``returns`` (months x industries), ``market`` (months), ``months``
    (``pandas.PeriodIndex``), ``industries`` (names), and where it came from."""

    returns: np.ndarray
    market: np.ndarray
    months: pd.PeriodIndex
    industries: tuple[str, ...]
    source: str


def panel_from_frame(frame: pd.DataFrame, source: str) -> Panel:
    """A :class:`Panel` from a frame with a ``month`` column (YYYY-MM), one column per industry
    and a ``Market`` column; raises ``ValueError`` with a one-line message if it is not one."""
    if "month" not in frame.columns:
        raise ValueError("expected a 'month' column (YYYY-MM)")
    if "Market" not in frame.columns:
        raise ValueError("expected a 'Market' column (the market's monthly return)")
    try:
        months = pd.PeriodIndex(frame["month"].astype(str), freq="M")
    except (ValueError, TypeError):
        raise ValueError("'month': expected months as YYYY-MM") from None
    if len(months) < 2 or (np.diff(months.asi8) != 1).any():
        raise ValueError("'month': expected consecutive months in increasing order")
    names = [c for c in frame.columns if c not in ("month", "Market")]
    if not names:
        raise ValueError("expected at least one industry column beside 'month' and 'Market'")
    values = frame[names + ["Market"]].apply(pd.to_numeric, errors="coerce")
    bad = [c for c in names if values[c].isna().any()]
    if bad:
        raise ValueError(f"column {bad[0]!r}: expected a return (a decimal) in every month")
    text = frame["Market"].astype(str).str.strip()
    if (values["Market"].isna() & ~frame["Market"].isna() & (text != "")).any():
        raise ValueError("column 'Market': expected a return (a decimal) or nothing in each month")
    r = values[names].to_numpy(dtype=float)
    m = values["Market"].to_numpy(dtype=float)
    if (r <= -1).any() or (np.nan_to_num(m) <= -1).any():
        raise ValueError("returns must be greater than -1 (decimals: -0.05 is a 5% fall)")
    if np.nanmax(np.abs(r)) > 10:
        raise ValueError("returns above 1000% in a month: give decimals, not percent")
    return Panel(r, m, months, tuple(names), source)


@lru_cache(maxsize=1)
def industries49() -> Panel:
    """The bundled 49-industry panel (the market is empty for 1969-07 to 1969-12)."""
    path = resources.files("bubblesim.history").joinpath(
        "data", "industries49_vw_monthly_1969_2021.csv"
    )
    with path.open() as f:
        return panel_from_frame(pd.read_csv(f), "built-in industries49")


def read_panel(path: str | Path) -> Panel:
    """A user's CSV in the bundled panel's layout; ``ValueError`` naming the file if not."""
    path = existing_csv(path)
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    try:
        return panel_from_frame(frame, str(path))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _trailing(full: np.ndarray, n: int) -> np.ndarray:
    """The return over the ``n`` months up to each month, from the log levels ``full`` that start
    with the level before the first month (``T + 1`` rows); nan for the first ``n - 1`` months."""
    out = np.full((full.shape[0] - 1, *full.shape[1:]), np.nan)
    out[n - 1 :] = np.expm1(full[n:] - full[: full.shape[0] - n])
    return out


def _ahead_drawdown(log_level: np.ndarray, h: int) -> np.ndarray:
    """Largest fall from a running peak over the levels ``t .. t + h`` (the peak may be ``t``),
    as a fraction; nan where ``t + h`` is past the end."""
    n = log_level.shape[0]
    out = np.full(log_level.shape, np.nan)
    if n <= h:
        return out
    m = n - h
    peak = log_level[:m].copy()
    deepest = np.zeros_like(peak)
    for j in range(1, h + 1):
        x = log_level[j : j + m]
        np.maximum(peak, x, out=peak)
        np.maximum(deepest, peak - x, out=deepest)
    out[:m] = -np.expm1(-deepest)
    return out


def industry_months(panel: Panel, settings: BubbleSettings = BubbleSettings()) -> pd.DataFrame:
    """One row per industry and month: the trailing raw and net run-up over ``years``, the
    five-year raw return, the trailing volatility (annualised, of the monthly returns over
    ``years``), the acceleration (the last year's return less the year before's), whether it
    qualifies as a run-up, and ahead of it the largest drawdown within ``crash_years``, whether
    that is a crash, and the market's return over the same months (nan where a window falls
    outside the data)."""
    look, h = settings.lookback, settings.horizon
    log_r = np.log1p(panel.returns)
    full = np.vstack([np.zeros((1, log_r.shape[1])), np.cumsum(log_r, axis=0)])
    lvl = full[1:]  # the level after each month
    mkt = np.log1p(panel.market)
    missing = np.isnan(mkt)
    mkt_full = np.concatenate([[0.0], np.cumsum(np.where(missing, 0.0, mkt))])
    gaps = np.concatenate([[0], np.cumsum(missing)])  # a window over a missing month is nan

    def market_change(n: int, ahead: bool) -> np.ndarray:
        """The market's return over the ``n`` months up to each month, or after it."""
        out = np.full(len(mkt), np.nan)
        change = np.expm1(mkt_full[n:] - mkt_full[:-n])
        change[gaps[n:] != gaps[:-n]] = np.nan
        if ahead:
            out[: len(mkt) - n] = change[1:]
        else:
            out[n - 1 :] = change
        return out

    raw = _trailing(full, look)
    market_run = market_change(look, ahead=False)[:, None]
    net = raw - market_run
    raw5 = _trailing(full, 60)
    year = _trailing(full, 12)
    year_before = np.full(lvl.shape, np.nan)
    year_before[12:] = year[:-12]
    accel = year - year_before
    vol = np.full(lvl.shape, np.nan)
    if lvl.shape[0] > look:
        windows = np.lib.stride_tricks.sliding_window_view(log_r, look, axis=0)
        vol[look - 1 :] = windows.std(axis=-1, ddof=1) * math.sqrt(12)
    ahead = _ahead_drawdown(lvl, h)
    market_ahead = market_change(h, ahead=True)
    qualifies = (raw > settings.runup) & (raw5 > FIVE_YEAR_RUNUP)
    if settings.net:
        qualifies &= net > settings.runup
    n_m, n_i = lvl.shape
    frame = pd.DataFrame(
        {
            "industry": np.tile(np.array(panel.industries, dtype=object), n_m),
            "month": np.repeat(panel.months.astype(str), n_i),
            "t": np.repeat(np.arange(n_m), n_i),
            "runup_raw": raw.ravel(),
            "runup_net": net.ravel(),
            "runup_gain": np.maximum(net, 0.0).ravel(),
            "runup_loss": np.maximum(-net, 0.0).ravel(),
            "runup_5y": raw5.ravel(),
            "volatility": vol.ravel(),
            "acceleration": accel.ravel(),
            "qualifies": qualifies.ravel(),
            "max_drawdown": ahead.ravel(),
            "market_return": np.repeat(market_ahead, n_i),
        }
    )
    dd = frame["max_drawdown"].to_numpy()
    # 1.0 crashed, 0.0 did not, nan where the window runs past the data
    frame["crashed"] = np.where(np.isnan(dd), np.nan, (dd >= settings.crash - 1e-12).astype(float))
    return frame


def find_episodes(
    months: pd.DataFrame, settings: BubbleSettings = BubbleSettings()
) -> pd.DataFrame:
    """Episodes from :func:`industry_months`: per industry, the first qualifying month; the
    qualifying months less than 24 months after it belong to it, so the next episode starts at
    the first qualifying month 24 months or more after the last one began (fixed at two years,
    as Greenwood, Shleifer & You group them, whatever ``--years``). Columns: ``industry``, ``start`` (YYYY-MM), ``runup_raw``, ``runup_net``,
    ``crashed`` (nan when the crash window runs past the data), ``max_drawdown``,
    ``market_return``, ``volatility``, ``acceleration``."""
    rows = []
    spacing = 24  # the qualifying months within two years after an episode's first belong to it
    for _, group in months[months["qualifies"]].groupby("industry", sort=False):
        last = None
        for r in group.itertuples(index=False):
            if last is None or r.t >= last + spacing:
                rows.append(r)
                last = r.t
    columns = ["industry", "month", "runup_raw", "runup_net", "crashed", "max_drawdown",
               "market_return", "volatility", "acceleration", "t"]  # fmt: skip
    episodes = (
        pd.DataFrame(rows, columns=months.columns)[columns]
        if rows
        else pd.DataFrame(columns=columns)
    )
    episodes = episodes.rename(columns={"month": "start"})
    return episodes.sort_values(["t", "industry"]).reset_index(drop=True)


def _industry_bootstrap(months: pd.DataFrame, mask: np.ndarray, rng) -> tuple[float, float]:
    """95% interval of the crash share among ``mask``'s industry-months, resampling whole
    industries with replacement (overlapping months of one industry stay together)."""
    data = months.loc[mask, ["industry", "crashed"]]
    if data.empty:
        return (0.0, 1.0)
    per = data.groupby("industry")["crashed"].agg(["sum", "count"])
    hits, counts = per["sum"].to_numpy(float), per["count"].to_numpy(float)
    draw = rng.integers(0, len(per), size=(BOOTSTRAP_REPLICATES, len(per)))
    shares = hits[draw].sum(axis=1) / np.maximum(counts[draw].sum(axis=1), 1.0)
    lo, hi = np.quantile(shares, [0.025, 0.975])
    return float(lo), float(hi)


def crash_summary(episodes: pd.DataFrame, months: pd.DataFrame) -> dict:
    """``n_episodes``, ``n_crashed``, ``p_crash`` with a Wilson 95% interval (episodes judged,
    those whose crash window is complete), ``unconditional`` (the crash share over all judged
    industry-months) with an industry-bootstrap interval, and ``n_censored``."""
    judged = episodes[episodes["crashed"].notna()]
    n, k = len(judged), int(judged["crashed"].sum())
    lo, hi = wilson_interval(k, n)
    known = months["crashed"].notna().to_numpy()
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    u_lo, u_hi = _industry_bootstrap(months, known, rng)
    return {
        "n_episodes": n,
        "n_crashed": k,
        "p_crash": k / n if n else float("nan"),
        "ci_low": lo,
        "ci_high": hi,
        "unconditional": float(months.loc[known, "crashed"].astype(float).mean()),
        "unconditional_ci_low": u_lo,
        "unconditional_ci_high": u_hi,
        "n_censored": int(len(episodes) - n),
        "n_industry_months": int(known.sum()),
    }


def runup_buckets(months: pd.DataFrame, buckets=RUNUP_BUCKETS) -> list[dict]:
    """The crash share of the industry-months in each trailing net run-up bucket, with an
    industry-bootstrap 95% interval: ``runup_low`` (None for an open bottom), ``runup_high``
    (None for the top), ``n``, ``n_industries``, ``p_crash``, ``ci_low``, ``ci_high``."""
    rng = np.random.default_rng(BOOTSTRAP_SEED + 1)
    known = months["crashed"].notna().to_numpy()
    net = months["runup_net"].to_numpy()
    out = []
    for low, high in buckets:
        mask = known & ~np.isnan(net)
        if low is not None:
            mask &= net >= low
        if high is not None:
            mask &= net < high
        n = int(mask.sum())
        p = float(months.loc[mask, "crashed"].astype(float).mean()) if n else float("nan")
        lo, hi = _industry_bootstrap(months, mask, rng) if n else (0.0, 1.0)
        out.append(
            {
                "runup_low": low,
                "runup_high": high,
                "n": n,
                "n_industries": int(months.loc[mask, "industry"].nunique()),
                "p_crash": p,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return out


#: The covariates of the hazard: the trailing net run-up's two sides. Crash odds rise after a
#: run-up (the bubble) and after a fall (an industry in decline keeps falling), so the net
#: run-up enters as ``max(net, 0)`` and ``max(-net, 0)``; a single linear term would cancel them.
HAZARD_TERMS = ("runup_gain", "runup_loss")

#: The same with the run-up's volatility and acceleration (Greenwood, Shleifer & You's attributes
#: that the panel supports; turnover, issuance and firm age are not in it).
EXTENDED_TERMS = (*HAZARD_TERMS, "volatility", "acceleration")


@dataclass
class HazardFit:
    """A logistic crash hazard: P(crash within the window | the month's covariates)."""

    terms: tuple[str, ...]
    coefficients: dict[str, float]
    std_errors: dict[str, float]
    n: int
    n_clusters: int
    base_rate: float
    loglik: float
    extra: dict = field(default_factory=dict)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        x = self.coefficients["const"] + sum(
            self.coefficients[t] * frame[t].to_numpy(float) for t in self.terms
        )
        return 1.0 / (1.0 + np.exp(-x))


def _require_statsmodels():
    try:
        import statsmodels.api as sm
    except ImportError:  # pragma: no cover - depends on the extra
        raise ImportError(
            "the hazard fit needs statsmodels: pip install 'bubblesim[fit]' "
            '(from a clone: pip install ".[fit]")'
        ) from None
    return sm


def fit_hazard(months: pd.DataFrame, terms: tuple[str, ...] = HAZARD_TERMS) -> HazardFit:
    """Logistic regression (statsmodels ``Logit``, maximum likelihood) of whether a crash
    followed on the month's covariates, over the judged industry-months, with standard errors
    clustered by industry (every month of an industry is one cluster, so overlapping windows
    count once)."""
    sm = _require_statsmodels()
    data = months.dropna(subset=["crashed", *terms])
    y = data["crashed"].astype(float).to_numpy()
    if y.size == 0 or y.min() == y.max():
        raise ValueError("no crashes, or only crashes, among the months to fit")
    x = sm.add_constant(data[list(terms)].to_numpy(float), has_constant="add")
    groups = pd.factorize(data["industry"])[0]
    model = sm.Logit(y, x)
    with warnings.catch_warnings():  # separation and convergence show as non-finite errors
        warnings.simplefilter("ignore")
        res = model.fit(disp=0, cov_type="cluster", cov_kwds={"groups": groups}, maxiter=200)
    names = ("const", *terms)
    return HazardFit(
        terms=tuple(terms),
        coefficients={n: float(v) for n, v in zip(names, res.params, strict=True)},
        std_errors={n: float(v) for n, v in zip(names, res.bse, strict=True)},
        n=int(y.size),
        n_clusters=int(groups.max() + 1),
        base_rate=float(y.mean()),
        loglik=float(res.llf),
    )


def _scores(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(np.mean((p - y) ** 2)), float(np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def out_of_sample(
    months: pd.DataFrame,
    split_year: int = 1995,
    settings: BubbleSettings = BubbleSettings(),
    terms: tuple[str, ...] = HAZARD_TERMS,
) -> dict:
    """Fit on the months whose crash window ends by the end of ``split_year`` (no look-ahead),
    score on the months from the year after: the Brier score and the log score (mean log
    probability of what happened; higher is better) of the fitted hazard and of the training
    base rate, and a reliability table by decile of predicted risk."""
    data = months.dropna(subset=["crashed", *terms])
    month = pd.PeriodIndex(data["month"], freq="M")
    train = np.asarray((month + settings.horizon).year <= split_year)
    test = np.asarray(month.year > split_year)
    if not train.any() or not test.any():
        raise ValueError(
            f"the panel needs months whose window ends by {split_year} and months after it"
        )
    fit = fit_hazard(data[train], terms)
    y = data.loc[test, "crashed"].astype(float).to_numpy()
    p = fit.predict(data[test])
    base = np.full_like(p, fit.base_rate)
    brier, log_score = _scores(p, y)
    brier0, log0 = _scores(base, y)
    order = np.argsort(p, kind="stable")
    deciles = []
    for part in np.array_split(order, 10):
        if part.size:
            deciles.append(
                {
                    "predicted": float(p[part].mean()),
                    "realised": float(y[part].mean()),
                    "n": int(part.size),
                }
            )
    first = data["month"].iloc[0][:4]
    test_last = data.loc[test, "month"].iloc[-1][:4]
    return {
        "train": f"{first}-{split_year}",  # the data the fit saw: start months to ... windows' ends
        "train_months": f"{data.loc[train, 'month'].iloc[0]} to {data.loc[train, 'month'].iloc[-1]}",
        "test": f"{split_year + 1}-{test_last}",
        "brier": brier,
        "brier_base_rate": brier0,
        "log_score": log_score,
        "log_score_base_rate": log0,
        "n_train": fit.n,
        "n_test": int(y.size),
        "realised_test_rate": float(y.mean()) if y.size else float("nan"),
        "train_base_rate": fit.base_rate,
        "coefficients": {
            k: {"value": v, "std_error": fit.std_errors[k]} for k, v in fit.coefficients.items()
        },
        "reliability": deciles,
    }


def crash_sizes(episodes: pd.DataFrame) -> dict:
    """Quartiles of the largest drawdown within the crash window of the episodes that crashed,
    and the market's log return over the two years after each episode began over the industry's
    log drawdown (bubblesim's ``contagion`` read per episode, roughly: the windows differ)."""
    crashed = episodes[episodes["crashed"] == 1.0]
    if crashed.empty:
        return {"n": 0}
    dd = crashed["max_drawdown"].to_numpy(float)
    q = np.quantile(dd, [0.25, 0.5, 0.75])
    out = {
        "n": int(len(crashed)),
        "drawdown_q25": float(q[0]),
        "drawdown_median": float(q[1]),
        "drawdown_q75": float(q[2]),
    }
    ratio = np.log1p(crashed["market_return"].to_numpy(float)) / np.log1p(-dd)
    ratio = ratio[np.isfinite(ratio)]
    if ratio.size:
        r = np.quantile(ratio, [0.25, 0.5, 0.75])
        out.update(
            market_share_of_fall_q25=float(r[0]),
            market_share_of_fall_median=float(r[1]),
            market_share_of_fall_q75=float(r[2]),
        )
    return out


def _fall_and_rest(panel: Panel, cols, weights, peak: int, trough: int):
    """The group's value-weighted log fall from ``peak`` to ``trough`` and the rest of the
    market's log return, the rest being what the market did beyond the group,
    ``(M - W g) / (1 - W)``, with ``W`` carried buy-and-hold; None if it cannot be read."""
    share = float(weights[cols].sum())
    if not 0.0 < share < 1.0:
        return None
    within = weights[cols] / share  # the group's own value weights
    group_path = rest_path = 0.0
    for t in range(peak + 1, trough + 1):
        g = float(within @ panel.returns[t, cols])
        m = float(panel.market[t])
        o = (m - share * g) / (1.0 - share)
        if not (math.isfinite(o) and o > -1.0):
            return None
        group_path += math.log1p(g)
        rest_path += math.log1p(o)
        share = share * (1 + g) / (1 + m)
        within = within * (1 + panel.returns[t, cols])
        within = within / within.sum()
        if not 0.0 < share < 1.0:
            return None
    return group_path, rest_path


def group_crash(
    panel: Panel, names: tuple[str, ...] = TECH_INDUSTRIES, estimate_months: int = 36
) -> dict | None:
    """A group of industries that fell together: its peak-to-trough fall and what the rest of the
    market did over the same months (None when the panel cannot say).

    The panel has returns, not market caps, so the industries' weights in the market are
    estimated: non-negative least squares of the market's monthly return on the industries'
    over the ``estimate_months`` months up to the group's peak, normalised to sum to one. That is
    about the window's average weight; carried buy-and-hold from the window's middle to the peak
    it is the weight at the peak, if the fit is right (``weight_at_peak``). The group's
    value-weighted fall is read with the weights; the rest of the market is what the market did
    beyond the group; ``contagion`` is its log return over the group's log fall (bubblesim's
    ``market.contagion``), for each of the two weights. The same with the industries equally
    weighted (no estimate needed) is given beside them."""
    from scipy.optimize import nnls

    cols = [panel.industries.index(n) for n in names if n in panel.industries]
    rest = [i for i in range(len(panel.industries)) if i not in cols]
    if not cols or not rest or np.isnan(panel.market).all():
        return None
    ew = np.cumsum(np.log1p(panel.returns[:, cols].mean(axis=1)))
    trough = int(np.argmax(np.maximum.accumulate(ew) - ew))
    peak = int(np.argmax(ew[: trough + 1]))
    if trough <= peak:
        return None  # the group never fell
    first = max(0, peak - estimate_months + 1)
    rows = np.arange(first, peak + 1)
    rows = rows[~np.isnan(panel.market[rows])]
    if rows.size < 2:
        return None
    weights, _ = nnls(panel.returns[rows], panel.market[rows])
    if weights.sum() <= 0:
        return None
    weights = weights / weights.sum()
    middle = rows[rows.size // 2]
    drifted = weights * np.exp(np.log1p(panel.returns[middle + 1 : peak + 1]).sum(axis=0))
    drifted = drifted / drifted.sum()
    average, at_peak = (_fall_and_rest(panel, cols, w, peak, trough) for w in (weights, drifted))
    if average is None:
        return None
    span = slice(peak + 1, trough + 1)
    ew_fall = float(-np.expm1(ew[trough] - ew[peak]))
    others = float(np.expm1(np.log1p(panel.returns[span][:, rest].mean(axis=1)).sum()))
    out = {
        "industries": [panel.industries[i] for i in cols],
        "peak": str(panel.months[peak]),
        "trough": str(panel.months[trough]),
        "estimate_months": int(rows.size),
        "weight": float(weights[cols].sum()),
        "fall": float(-math.expm1(average[0])),
        "rest_return": float(math.expm1(average[1])),
        "contagion": average[1] / average[0],
        "market_return": float(np.expm1(np.log1p(panel.market[span]).sum())),
        "fall_equal_weights": ew_fall,
        "rest_return_equal_weights": others,
        "contagion_equal_weights": float(np.log1p(others) / np.log1p(-ew_fall)),
    }
    if at_peak is not None:
        out.update(
            weight_at_peak=float(drifted[cols].sum()),
            rest_return_at_peak_weight=float(math.expm1(at_peak[1])),
            contagion_at_peak_weight=at_peak[1] / at_peak[0],
        )
    return out


def _jsonable(x):
    """Plain JSON values all the way down: numpy numbers to Python ones, nan and inf to None."""
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    return x


def bubbles_report(
    panel: Panel, settings: BubbleSettings = BubbleSettings(), fit: bool = False
) -> dict:
    """Everything ``bubblesim bubbles`` prints, as one dict (its JSON): ``episodes``,
    ``summary``, ``by_runup``, ``crash_sizes``, ``tech_crash``, ``settings``, ``source`` and,
    with ``fit``, ``fit`` (``coefficients``, ``out_of_sample``, ``extended``)."""
    months = industry_months(panel, settings)
    episodes = find_episodes(months, settings)
    rows = []
    for r in episodes.itertuples(index=False):
        crashed = None if np.isnan(r.crashed) else bool(r.crashed)
        rows.append(
            {
                "industry": r.industry,
                "start": r.start,
                "runup_raw": float(r.runup_raw),
                "runup_net": float(r.runup_net),
                "crashed": crashed,
                "max_drawdown": _jsonable(float(r.max_drawdown)),
                "market_return": _jsonable(float(r.market_return)),
            }
        )
    report = {
        "source": panel.source,
        "months": [str(panel.months[0]), str(panel.months[-1])],
        "n_industries": len(panel.industries),
        "settings": {
            "years": settings.years,
            "runup": settings.runup,
            "net": settings.net,
            "crash": settings.crash,
            "crash_years": settings.crash_years,
            "five_year_runup": FIVE_YEAR_RUNUP,
        },
        "episodes": rows,
        "summary": {k: _jsonable(v) for k, v in crash_summary(episodes, months).items()},
        "by_runup": runup_buckets(months),
        "by_fall": runup_buckets(months, FALL_BUCKETS),
        "crash_sizes": {k: _jsonable(v) for k, v in crash_sizes(episodes).items()},
        "tech_crash": group_crash(panel),
    }
    if fit:
        report["fit"] = _fit_report(months, settings)
    return _jsonable(report)


def _fit_report(months: pd.DataFrame, settings: BubbleSettings) -> dict:
    def coefficients(f: HazardFit) -> dict:
        return {k: {"value": v, "std_error": f.std_errors[k]} for k, v in f.coefficients.items()}

    main, extended = fit_hazard(months, HAZARD_TERMS), fit_hazard(months, EXTENDED_TERMS)
    try:
        oos = out_of_sample(months, settings=settings, terms=HAZARD_TERMS)
        oos_ext = out_of_sample(months, settings=settings, terms=EXTENDED_TERMS)
    except ValueError:  # a panel that does not reach both sides of 1995: no out-of-sample score
        oos = oos_ext = None
    keys = ("train", "train_months", "test", "brier", "brier_base_rate", "log_score", "log_score_base_rate",
            "n_test", "n_train", "realised_test_rate", "train_base_rate", "reliability")  # fmt: skip
    return {
        "model": "logit: P(crash within crash_years | month) = 1 / (1 + exp(-(const + "
        "b_gain max(runup_net, 0) + b_loss max(-runup_net, 0))))",
        "standard_errors": f"clustered by industry ({main.n_clusters} clusters)",
        "n": main.n,
        "base_rate": main.base_rate,
        "coefficients": coefficients(main),
        "out_of_sample": {k: oos[k] for k in keys} if oos else None,
        "extended": {
            "terms": list(EXTENDED_TERMS),
            "coefficients": coefficients(extended),
            "out_of_sample": {k: oos_ext[k] for k in keys} if oos_ext else None,
        },
    }
