"""History beside the odds: --builtin us-market, and the yardstick in every market metric."""

import json

import pytest

from bubblesim.history.base_rates import history_base_rate

from .test_cli import invoke


def test_calibrate_builtin_us_market_compares_gbm_merton_and_the_regime_switch(in_tmp):
    res = invoke("calibrate", "--builtin", "us-market", "--out", "us_fit.toml")
    assert res.exit_code == 0, res.output
    for word in ("GBM", "Merton", "regime switch", "AIC", "P(calm stays calm)"):
        assert word in res.stdout
    text = (in_tmp / "us_fit.toml").read_text()
    assert 'regime = "markov"' in text and "rest_turbulent_volatility" in text
    # the fragment extends a scenario
    (in_tmp / "s.toml").write_text('extends = "us_fit.toml"\n[scenario]\nname = "s"\n')
    assert invoke("validate", "s.toml").exit_code == 0


def test_backtest_builtin_and_its_errors(in_tmp):
    res = invoke("backtest", "--builtin", "us-market", "-w", "1y", "-t", "0.2", "-n", "500")
    assert res.exit_code == 0, res.output
    assert "16.3%" in res.stdout  # the published 12-month base rate of a 20% drawdown
    neither = invoke("backtest", "-t", "0.2")
    assert neither.exit_code == 2 and "PRICES file or --builtin" in neither.stderr
    (in_tmp / "p.csv").write_text("date,close\n2020-01-31,1\n")
    both = invoke("calibrate", "p.csv", "--builtin", "us-market")
    assert both.exit_code == 2 and "Traceback" not in both.output


def test_run_puts_every_market_metric_beside_history_and_its_no_bubble_twin(in_tmp, scenarios_dir):
    res = invoke("run", str(scenarios_dir / "baseline.toml"), "-n", "1000", "-o", "r")
    assert res.exit_code == 0, res.output
    assert "history" in res.stdout and "no bubble" in res.stdout and "AI adds" in res.stdout
    doc = json.loads((in_tmp / "r" / "summary.json").read_text())
    market = [m for m in doc["metrics"] if m["index"] == "market"]
    assert market and all("no_bubble_probability" in m for m in market)
    dd20 = next(m for m in market if m["name"] == "drawdown" and m["threshold"] == 0.2)
    assert dd20["history_base_rate"] == pytest.approx(history_base_rate(60, 0.2))
    assert dd20["ai_effect"] == pytest.approx(dd20["probability"] - dd20["no_bubble_probability"])
    assert dd20["ai_effect_ci_low"] < dd20["ai_effect"] < dd20["ai_effect_ci_high"]
    assert doc["yardstick"]["history_window_months"] == 60
    # every history base rate carries its block-bootstrap interval, in the table and the JSON
    for m in market:
        assert m["history_ci_low"] <= m["history_base_rate"] <= m["history_ci_high"]
    lo, hi = (round(100 * dd20[k], 1) for k in ("history_ci_low", "history_ci_high"))
    assert f"[{lo:.1f}, {hi:.1f}]" in res.stdout and "block bootstrap" in res.stdout
    assert "history_ci_low" in doc["yardstick"]
    ai = [m for m in doc["metrics"] if m["index"] == "ai"]
    assert all("no_bubble_probability" not in m for m in ai)
