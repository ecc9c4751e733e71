"""The plain-text tables a command prints: a run's odds, a comparison, a batch, and history."""

from __future__ import annotations

import math

import pandas as pd

from ..analysis.estimates import METRIC_FIELDS
from ..analysis.insight import crash_inputs, parse_metric
from ..analysis.result import YARDSTICK_FIELDS, SimulationResult

__all__ = [
    "terminal_table",
    "comparison_terminal_table",
    "batch_table",
    "batch_terminal_table",
    "drawdowns_terminal_table",
    "calibration_terminal_table",
    "backtest_terminal_table",
]


def _pct(x: float | None) -> str:
    return "    -" if x is None else f"{100 * x:5.1f}%"


def terminal_table(result: SimulationResult) -> str:
    """The headline odds as a plain-text table."""
    sc = result.scenario
    dates = result.dates
    lines = [
        f"{sc.name}: {result.paths:,} paths, seed {result.seed}, "
        f"{str(dates[0])[:7]} to {str(dates[-1])[:7]} ({sc.steps_per_year} steps/year), "
        f"{result.elapsed_seconds:.1f} s",
        "",
        f"  {'index':<8}{'event':<30}{'probability':>12}  {'95% interval':<17}{'s.e.':>7}",
    ]
    names = {"ai": "AI", "market": "market"}
    yardstick = result.no_bubble is not None or result.base_rate is not None
    if yardstick:
        lines[-1] += f"{'history (95%)':>22}{'no bubble':>11}  AI adds (paired 95%)"
    for row in result.metrics():
        event = (
            "drawdown >= " if row["name"] == "drawdown" else "fall below start >= "
        ) + f"{row['threshold']:.0%}"
        line = (
            f"  {names[row['index']]:<8}{event:<30}{_pct(row['probability']):>12}  "
            f"[{_pct(row['ci_low'])}, {_pct(row['ci_high'])}]{100 * row['std_error']:6.2f}%"
        )
        if yardstick and row["index"] == "market":
            line += f"{_history_cell(row):>22}"
            if "no_bubble_probability" in row:
                line += (
                    f"{_pct(row['no_bubble_probability']):>11}  {100 * row['ai_effect']:+5.1f} pts "
                    f"[{100 * row['ai_effect_ci_low']:+.1f}, {100 * row['ai_effect_ci_high']:+.1f}]"
                )
        lines.append(line)
    lines += event_lines(result.events())
    mdd = result.max_drawdown_quantiles("market")
    mdd_ai = result.max_drawdown_quantiles("ai")
    lines += [
        "",
        f"  median largest drawdown: AI {mdd_ai['q50']:.0%}, market {mdd['q50']:.0%}",
    ]
    if result.draw_names:
        metric = parse_metric(None, result.scenario)
        table = crash_inputs(result, metric)
        lines.append(f"\n  what the paths with a {metric.label} share (median with / without):")
        for r in table.itertuples(index=False):
            lines.append(f"    {r.parameter:<34}{r.median_with:>10.4g} / {r.median_without:.4g}")
    if yardstick:
        lines.append(
            f"\n  history: the US market 1926-2018, share of {result.horizon_months()}-month windows with "
            "the same event, with a 95% interval from a block bootstrap (blocks of the window); "
            "no bubble: the same paths with the AI channels off"
        )
    return "\n".join(lines)


def event_lines(rows: list[dict], scenario: str | None = None) -> list[str]:
    """The events of a run (``SimulationResult.events()``) as text: each one's probability with
    its interval, the no-bubble twin's and what the AI channels add, then the others' forecasts
    it was matched to, labelled as such."""
    if not rows:
        return []
    lines = ["", f"  events{f' of {scenario}' if scenario else ''}:"]
    width = max(22, *(len(r["name"]) + 2 for r in rows))
    for r in rows:
        line = f"  {r['name']:<{width}}{_pct(r['probability']):>8}  [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]"
        if "no_bubble_probability" in r:
            line += (
                f"   no bubble {_pct(r['no_bubble_probability']).strip()}, AI adds "
                f"{100 * r['ai_effect']:+.1f} pts [{100 * r['ai_effect_ci_low']:+.1f}, "
                f"{100 * r['ai_effect_ci_high']:+.1f}]"
            )
        lines += [line, f"    {r['label']}"]
        for ref in r.get("reference", []):
            lines.append(
                f"    others' forecast (not data): {100 * ref['probability']:.4g}%, {ref['who']}, "
                f"{ref['when']}: {ref['source']}"
            )
    return lines


def _history_cell(r) -> str:
    """``58.2% [47.9, 68.0]``: the history's base rate and its block-bootstrap interval."""
    hist = r.get("history_base_rate")
    if hist is None or pd.isna(hist):
        return "-"
    lo, hi = r.get("history_ci_low"), r.get("history_ci_high")
    if lo is None or pd.isna(lo):
        return _pct(hist).strip()
    return f"{_pct(hist).strip()} [{100 * lo:.1f}, {100 * hi:.1f}]"


def _yardstick_text(r) -> str:
    """`` | history 58.2% [47.9, 68.0], no bubble 54.9%, AI adds +11.9 [+11.2, +12.6]``."""
    if "no_bubble_probability" not in r or pd.isna(r["no_bubble_probability"]):
        return ""
    hist = r.get("history_base_rate")
    parts = [] if hist is None or pd.isna(hist) else [f"history {_history_cell(r)}"]
    parts.append(f"no bubble {_pct(r['no_bubble_probability']).strip()}")
    parts.append(
        f"AI adds {100 * r['ai_effect']:+.1f} [{100 * r['ai_effect_ci_low']:+.1f}, "
        f"{100 * r['ai_effect_ci_high']:+.1f}]"
    )
    return "   | " + ", ".join(parts)


def comparison_terminal_table(comparison) -> str:
    """Odds per scenario and the paired difference to the reference, as plain text."""
    table = comparison.table()
    names = comparison.names
    width = max(12, *(len(n) for n in names))
    ref = comparison.reference
    lines = [
        f"{len(names)} scenarios on common random numbers: {ref.paths:,} paths, seed {ref.seed}; "
        f"reference {names[0]}",
        "",
        f"  {'index':<7}{'event':<24}{'scenario':<{width + 2}}{'probability':>11}  {'95% interval':<17}"
        f"{'difference':>11}  {'paired 95%':<17}",
    ]
    for (name, index, thr), sub in table.groupby(["name", "index", "threshold"], sort=False):
        event = ("drawdown >= " if name == "drawdown" else "below start >= ") + f"{thr:.0%}"
        for _, r in sub.iterrows():
            diff = "" if r["scenario"] == names[0] else f"{100 * r['difference']:+9.1f} pts"
            ci = (
                ""
                if r["scenario"] == names[0]
                else f"[{100 * r['difference_ci_low']:+.1f}, {100 * r['difference_ci_high']:+.1f}]"
            )
            line = (
                f"  {('AI' if index == 'ai' else 'market'):<7}{event:<24}{r['scenario']:<{width + 2}}"
                f"{_pct(r['probability']):>11}  [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]{diff:>15}  {ci}"
            )
            lines.append(line + _yardstick_text(r))
        lines.append("")
    events = comparison.event_table()
    if len(events):
        ew = max(24, *(len(n) + 2 for n in events["event"]))
        lines.append(f"  {'event':<{ew}}{'scenario':<{width + 2}}{'probability':>11}  {'95% interval':<17}"
                     f"{'difference':>11}  {'paired 95%':<17}")  # fmt: skip
        for name, sub in events.groupby("event", sort=False):
            for _, r in sub.iterrows():
                first = r["scenario"] == names[0]
                diff = "" if first else f"{100 * r['difference']:+9.1f} pts"
                ci = "" if first else (
                    f"[{100 * r['difference_ci_low']:+.1f}, {100 * r['difference_ci_high']:+.1f}]"
                    + ("" if r["same_definition"] else " (defined differently)"))  # fmt: skip
                lines.append(
                    f"  {name:<{ew}}{r['scenario']:<{width + 2}}{_pct(r['probability']):>11}  "
                    f"[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]{diff:>15}  {ci}"
                    + _yardstick_text(r)
                )
            lines.append(f"    {sub.iloc[0]['label']}")
            lines.append("")
    left_out = comparison.events_left_out()
    if left_out:
        lines.append(f"  events not in every scenario, not compared: {', '.join(left_out)}")
    if not all(comparison.paired(r) for r in comparison.results):
        lines.append(
            "  note: some scenarios differ in time grid; their differences use independent intervals"
        )
    return "\n".join(lines).rstrip()


def batch_table(results) -> pd.DataFrame:
    """One row per scenario and metric (and event)."""
    rows = []
    for r in results:
        run = {
            "scenario": r.scenario.name,
            "file": r.scenario.path,
            "paths": r.paths,
            "seed": r.seed,
            "scenario_sha256": r.scenario.sha256,
        }
        for m in r.metrics():
            rows.append({**run, **{k: m[k] for k in ("name", "index", "threshold")},
                         **_estimate_fields(m)})  # fmt: skip
        for e in r.events():  # the events, named in a column only batches with events have
            rows.append({**run, "name": "event", "index": e["index"], "threshold": float("nan"),
                         **_estimate_fields(e), "event": e["name"]})  # fmt: skip
    table = pd.DataFrame(rows)
    if "event" in table:
        table["event"] = table["event"].fillna("")
    return table


def _estimate_fields(row: dict) -> dict:
    """A metric's or an event's probability, error, interval and (when carried) yardstick."""
    return {k: row[k] for k in (*METRIC_FIELDS, *YARDSTICK_FIELDS) if k in row}


def batch_terminal_table(results) -> str:
    """The headline odds of every scenario of a batch, one line each (the largest threshold)."""
    head = (
        f"\n  {'scenario':<24}{'AI drawdown':>16}{'market drawdown':>18}{'market below start':>21}"
    )
    history = any(r.base_rate is not None for r in results)
    if history:
        head += f"{'market drawdown, history (95%)':>34}"
    lines = [head]
    for r in results:
        t = max(r.scenario.thresholds)
        a = max(r.scenario.ai_thresholds)
        cells = [
            f"{_pct(r.estimate('ai', a).probability)} (>={a:.0%})",
            f"{_pct(r.estimate('market', t).probability)} (>={t:.0%})",
            f"{_pct(r.estimate('market', t, 'fall').probability)} (>={t:.0%})",
        ]
        line = f"  {r.scenario.name:<24}{cells[0]:>16}{cells[1]:>18}{cells[2]:>21}"
        if history:
            row = next(
                m
                for m in r.metrics()
                if m["index"] == "market" and m["name"] == "drawdown" and m["threshold"] == t
            )
            line += f"{_history_cell(row):>34}"
        lines.append(line)
    for r in results:
        lines += event_lines(r.events(), r.scenario.name)
    if history:
        lines.append(
            "\n  history: the US market 1926-2018 over windows as long as each horizon, with a 95% "
            "interval from a block bootstrap (blocks of the window)"
        )
    return "\n".join(lines)


def drawdowns_terminal_table(
    name: str, prices: pd.Series, table: pd.DataFrame, threshold: float
) -> str:
    """Every drawdown of a price history (``bubblesim drawdowns``), as plain text."""
    first, last = prices.index[0], prices.index[-1]
    lines = [
        f"{name}: {len(prices):,} closes ({prices.name}), {first:%Y-%m-%d} to {last:%Y-%m-%d}; "
        f"{len(table)} drawdown(s) of {threshold:.0%} or more"
    ]
    if len(table):
        lines.append(
            f"\n  {'peak_date':<12}{'peak':>12}  {'trough_date':<12}{'trough':>12}{'depth':>9}  recovery_date"
        )
        for r in table.itertuples(index=False):
            lines.append(
                f"  {r.peak_date:<12}{r.peak:>12,.2f}  {r.trough_date:<12}{r.trough:>12,.2f}"
                f"{100 * r.depth:>8.1f}%  {r.recovery_date or '(not yet)'}"
            )
    return "\n".join(lines)


def calibration_terminal_table(name: str, fit, regime=None) -> str:
    """``bubblesim calibrate``: the Merton fit, the regime switch, and the three by likelihood and AIC."""
    text = _merton_table(name, fit)
    if regime is None:
        return text
    q, e = regime.params, regime.std_errors
    per = {"monthly": "month", "weekly": "week", "daily": "day"}[fit.frequency]
    lines = [
        text,
        f"\n  regime switch (Hamilton filter), per {per}{'estimate':>{27 - len(per)}}{'s.e.':>10}",
    ]
    for key, label in (
        ("m_calm", "calm: mean log return"),
        ("s_calm", "calm: sd of log return"),
        ("m_turbulent", "turbulent: mean log return"),
        ("s_turbulent", "turbulent: sd of log return"),
        ("p_calm", "P(calm stays calm)"),
        ("p_turbulent", "P(turbulent stays turbulent)"),
    ):
        err = e[key]
        shown = f"{err:>10.4f}" if math.isfinite(err) else (
            f"{'at bound':>10}" if key.startswith("p_") and min(q[key], 1 - q[key]) <= 1e-6
            else f"{'none':>10}")  # fmt: skip
        lines.append(f"  {label:<34}{q[key]:>10.4f}{shown}")
    lines.append(
        f"  share of time turbulent {regime.turbulent_share:.1%}; mean spells: calm "
        f"{regime.expected_duration('calm'):.1f}, turbulent {regime.expected_duration('turbulent'):.1f} {per}s"
    )
    n = fit.n_returns
    if regime.degenerate:
        lines.append(f"  degenerate optimum: {regime.degenerate}; not a regime switch, not ranked")
    models = [("GBM", 2, fit.gbm_loglik, True), ("Merton", 5, fit.loglik, True),
              ("regime switch", 6, regime.loglik, not regime.degenerate)]  # fmt: skip
    best = min((2 * k - 2 * ll, label) for label, k, ll, ranked in models if ranked)[1]
    lines.append(f"\n  {'model':<16}{'parameters':>11}{'log-likelihood':>16}{'AIC':>11}")
    for label, k, ll, ranked in models:
        mark = (
            "  <- lowest AIC" if label == best else "" if ranked else "  (degenerate: not ranked)"
        )
        lines.append(f"  {label:<16}{k:>11}{ll:>16.2f}{2 * k - 2 * ll:>11.2f}{mark}")
    lines.append(f"  ({n:,} returns; lower AIC is better)")
    return "\n".join(lines)


def _merton_table(name: str, fit) -> str:
    p, se = fit.params, fit.std_errors
    kappa, kappa_se = fit.crash_size

    def err(name, value=None):
        if fit.at_bound(name):
            return f"{'at bound':>10}"
        value = se[name] if value is None else value
        return f"{value:>10.4f}" if math.isfinite(value) else f"{'none':>10}"

    return (
        f"{name}: {fit.n_returns:,} {fit.frequency} log returns, {fit.start} to {fit.end}\n\n"
        f"  {'parameter':<34}{'estimate':>10}{'s.e.':>10}\n"
        f"  {'drift mu (1/yr)':<34}{p['mu']:>10.4f}{err('mu')}\n"
        f"  {'volatility sigma (1/sqrt yr)':<34}{p['sigma']:>10.4f}{err('sigma')}\n"
        f"  {'jump intensity lambda (1/yr)':<34}{p['lam']:>10.4f}{err('lam')}\n"
        f"  {'jump log-size mean m_J':<34}{p['m_j']:>10.4f}{err('m_j')}\n"
        f"  {'jump log-size sd d_J':<34}{p['d_j']:>10.4f}{err('d_j')}\n"
        f"  {'crash size 1 - exp(m_J)':<34}{kappa:>10.4f}{err('m_j', kappa_se)}\n\n"
        f"  log-likelihood: Merton {fit.loglik:.2f}, GBM {fit.gbm_loglik:.2f} "
        f"(GBM: mu {fit.gbm_params['mu']:.4f}, sigma {fit.gbm_params['sigma']:.4f}); "
        f"LR statistic {fit.lr_statistic:.2f} on 3 extra parameters"
    )


def backtest_terminal_table(
    name: str, fit, table: pd.DataFrame, window: str, paths: int, seed: int
) -> str:
    """History's drawdown frequency beside the calibrated model's odds (``bubblesim backtest``)."""
    lines = [
        f"{name}: {fit.frequency} closes {fit.start} to {fit.end}; window {window} "
        f"({table['window_years'].iloc[0]:.3g} years); model: Merton fit (lambda {fit.params['lam']:.2f}/yr, "
        f"sigma {fit.params['sigma']:.3f}), {paths:,} paths, seed {seed}\n",
        f"  {'drawdown':<10}{'history':>9}  {'95% interval*':<17}{'windows':>9}{'model':>9}  95% interval",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"  >= {r.threshold:<7.0%}{100 * r.historical:>8.1f}%  [{100 * r.historical_ci_low:5.1f}%, "
            f"{100 * r.historical_ci_high:5.1f}%]{r.windows:>9,}{100 * r.model:>8.1f}%  "
            f"[{100 * r.model_ci_low:.1f}%, {100 * r.model_ci_high:.1f}%]"
        )
    lines.append(
        "\n  * circular block bootstrap of the returns, blocks as long as the window, 1,000 "
        f"replicates (the {table['windows'].iloc[0]:,} windows overlap: about "
        f"{table['independent_windows'].iloc[0]} are independent)"
    )
    return "\n".join(lines)


def bubbles_terminal_table(report: dict) -> str:
    """The episodes, crash shares, crash sizes, the tech crash and the fit (``bubblesim bubbles``)."""
    st = report["settings"]
    net = "raw and net of the market" if st["net"] else "raw"
    lines = [
        f"{report['source']}: {report['n_industries']} industries, {report['months'][0]} to "
        f"{report['months'][1]}",
        f"run-up: {st['years']:g}-year return above {st['runup']:.0%} ({net}) and 5-year raw "
        f"return above {st['five_year_runup']:.0%}; crash: a {st['crash']:.0%} fall from a running "
        f"peak within {st['crash_years']:g} years",
        "",
        f"  {'industry':<10}{'start':<9}{'run-up':>8}{'net':>8}  {'crashed':<8}{'max DD':>8}"
        f"{'market':>9}",
    ]
    for e in report["episodes"]:
        crashed = "-" if e["crashed"] is None else ("yes" if e["crashed"] else "no")
        dd = "-" if e["max_drawdown"] is None else f"{e['max_drawdown']:.0%}"
        mkt = "-" if e["market_return"] is None else f"{e['market_return']:+.0%}"
        lines.append(
            f"  {e['industry']:<10}{e['start']:<9}{e['runup_raw']:>8.0%}{e['runup_net']:>8.0%}  "
            f"{crashed:<8}{dd:>8}{mkt:>9}"
        )
    s = report["summary"]
    lines += [
        "",
        f"  crashed: {s['n_crashed']} of {s['n_episodes']} judged episodes, {_pct(s['p_crash'])} "
        f"[{_pct(s['ci_low'])}, {_pct(s['ci_high'])}] (Wilson 95%)"
        + (f"; {s['n_censored']} too recent to judge" if s["n_censored"] else ""),
        f"  any industry-month: {_pct(s['unconditional'])} [{_pct(s['unconditional_ci_low'])}, "
        f"{_pct(s['unconditional_ci_high'])}] of {s['n_industry_months']:,} were followed by a crash",
        "",
        f"  {'net run-up':<14}{'months':>8}{'industries':>12}{'crash share':>13}  95% interval*",
    ]
    for b in report.get("by_fall", []) + report["by_runup"]:
        if b["runup_low"] is None:
            label = f"< {b['runup_high']:.0%}"
        elif b["runup_high"] is None:
            label = f"> {b['runup_low']:.0%}"
        else:
            label = f"{b['runup_low']:.0%} to {b['runup_high']:.0%}"
        share = "-" if b["p_crash"] is None else _pct(b["p_crash"])
        lines.append(
            f"  {label:<14}{b['n']:>8,}{b['n_industries']:>12}{share:>13}  "
            f"[{_pct(b['ci_low'])}, {_pct(b['ci_high'])}]"
        )
    lines.append("  * whole industries resampled (1,000 times): overlapping months stay together")
    c = report["crash_sizes"]
    if c.get("n"):
        line = (
            f"  crash sizes ({c['n']} crashed episodes): largest drawdown median "
            f"{c['drawdown_median']:.0%}, quartiles {c['drawdown_q25']:.0%} to {c['drawdown_q75']:.0%}"
        )
        if c.get("market_share_of_fall_median") is not None:
            line += (
                "; the market's log return over those two years over the industry's log fall, "
                f"median {c['market_share_of_fall_median']:+.2f}"
            )
        lines += ["", line]
    t = report.get("tech_crash")
    if t:
        lines += [
            "",
            f"  {'+'.join(t['industries'])} together, {t['peak']} to {t['trough']}: fell "
            f"{t['fall']:.0%}; the market {t['market_return']:+.0%}, the rest of it "
            f"{t['rest_return']:+.0%} with the group's weight estimated at {t['weight']:.0%} "
            f"(least squares over the {t['estimate_months']} months to the peak): contagion "
            f"{t['contagion']:.2f} of the log fall"
            + (
                f"; with that weight carried to the peak ({t['weight_at_peak']:.0%}): "
                f"{t['contagion_at_peak_weight']:.2f}"
                if t.get("weight_at_peak") is not None
                else ""
            ),
            f"  (equally weighted: the group fell {t['fall_equal_weights']:.0%}, the other "
            f"industries {t['rest_return_equal_weights']:+.0%}, contagion "
            f"{t['contagion_equal_weights']:.2f})",
        ]
    f = report.get("fit")
    if f:
        lines += [
            "",
            f"  hazard fit: {f['model']}",
            f"  {f['n']:,} industry-months, standard errors {f['standard_errors']}",
        ]
        for name, block in (("", f), ("extended: ", f["extended"])):
            lines.append("")
            for k, v in block["coefficients"].items():
                lines.append(f"    {name + k:<34}{v['value']:>9.3f}  (s.e. {v['std_error']:.3f})")
            o = block["out_of_sample"]
            if o is None:
                lines.append("    out of sample: the panel does not reach both sides of 1995")
                continue
            better = o["brier"] < o["brier_base_rate"] and o["log_score"] > o["log_score_base_rate"]
            lines.append(
                f"    out of sample (fit {o['train']}, scored {o['test']}, {o['n_test']:,} months): "
                f"Brier {o['brier']:.4f} vs base rate {o['brier_base_rate']:.4f}, log score "
                f"{o['log_score']:.4f} vs {o['log_score_base_rate']:.4f}: "
                + ("beats the base rate" if better else "does NOT beat the base rate")
            )
        if f["out_of_sample"] is not None:
            rel = f["out_of_sample"]["reliability"]
            lines.append(
                "    reliability of the run-up model (deciles of predicted risk, scored months): "
                "predicted / realised"
            )
            lines.append(
                "    "
                + "  ".join(f"{100 * r['predicted']:.0f}/{100 * r['realised']:.0f}%" for r in rel)
            )
    return "\n".join(lines)
