"""Calibration recovers known parameters; backtests count history exactly; both commands work."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from bubblesim import load_scenario
from bubblesim.cli import cli
from bubblesim.history.backtest import historical_frequency, parse_window
from bubblesim.history.calibrate import fit_merton, scenario_fragment

TRUE = {"mu": 0.08, "sigma": 0.18, "lam": 4.0, "m_j": -0.04, "d_j": 0.03}
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "us_market_monthly_1926_2018.csv"


def merton_series(mu, sigma, lam, m_j, d_j, years, seed, per_year=252, freq="B"):
    rng = np.random.default_rng(seed)
    n, dt = int(years * per_year), 1 / per_year
    jumps = rng.poisson(lam * dt, n)
    r = (mu - 0.5 * sigma**2) * dt + sigma * math.sqrt(dt) * rng.standard_normal(n)
    r += jumps * m_j + np.sqrt(jumps) * d_j * rng.standard_normal(n)
    prices = 100 * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
    return pd.Series(prices, index=pd.date_range("2000-01-03", periods=n + 1, freq=freq))


@pytest.fixture(scope="module")
def fit():
    return fit_merton(merton_series(**TRUE, years=16, seed=1))


def test_calibration_recovers_known_parameters_within_their_standard_errors(fit):
    assert fit.frequency == "daily"
    for name, value in TRUE.items():
        z = (fit.params[name] - value) / fit.std_errors[name]
        assert abs(z) < 4, (name, fit.params[name], value, fit.std_errors[name])
    assert fit.lr_statistic > 50  # jumps are plainly there


def test_gbm_history_gives_no_evidence_of_jumps():
    g = fit_merton(merton_series(0.07, 0.2, 0.0, 0.0, 0.01, years=10, seed=3))
    assert g.lr_statistic < 20
    assert g.gbm_params["sigma"] == pytest.approx(0.2, abs=0.01)


def test_fragment_can_be_extended(fit, tmp_path):
    (tmp_path / "fit.toml").write_text(scenario_fragment(fit, "synthetic.csv"))
    (tmp_path / "mine.toml").write_text('extends = "fit.toml"\n[market]\nfeedback = false\n')
    sc = load_scenario(tmp_path / "mine.toml")
    assert sc.values["market.hazard_base"].value == pytest.approx(fit.params["lam"], rel=1e-5)
    assert sc.values["market.crash_size"].value == pytest.approx(
        1 - math.exp(fit.params["m_j"]), rel=1e-5
    )
    assert (
        "synthetic.csv" in sc.sources["market.ai_volatility"]
        and "s.e." in sc.sources["market.ai_volatility"]
    )


def test_historical_frequency_by_hand():
    s = pd.Series([100, 90, 100, 79, 100, 100.0])
    out = historical_frequency(s, steps=2, threshold=0.2)
    # windows of 3 closes: [100,90,100] 10%, [90,100,79] 21%, [100,79,100] 21%, [79,100,100] 0%
    assert out["windows"] == 4 and out["frequency"] == 0.5 and out["independent_windows"] == 2


def test_the_backtest_interval_is_the_block_bootstrap_of_the_yardstick():
    from bubblesim.history.base_rates import builtin_prices, market_base_rate_interval

    s = builtin_prices("us-market")
    for months, thr in ((12, 0.1), (12, 0.2), (60, 0.2)):
        out = historical_frequency(s, months, thr)
        lo, hi = market_base_rate_interval("drawdown", thr, months)
        # the same bootstrap on the same history (one return fewer: the closes start after it)
        assert abs(out["ci_low"] - lo) < 0.02 and abs(out["ci_high"] - hi) < 0.02
        assert out["ci_low"] < out["frequency"] < out["ci_high"]
        assert out["ci_high"] - out["ci_low"] > 0.1  # far wider than the 1,000 windows' Wilson


def test_the_readme_backtest_synopsis_works_with_a_builtin_series():
    # the README's form: --threshold followed by several values, after --builtin
    args = ["backtest", "--builtin", "us-market", "--window", "1y", "--threshold", "0.1", "0.2"]
    res = CliRunner().invoke(cli, [*args, "-n", "200", "--format", "csv"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(pd.io.common.StringIO(res.stdout))
    assert list(table["threshold"]) == [0.1, 0.2]
    res = CliRunner().invoke(cli, ["backtest", "--builtin", "us-market", "nofile.csv"])
    assert res.exit_code == 2 and "one of the two" in res.stderr


def test_the_readme_history_examples_run_on_the_bundled_series():
    runner = CliRunner()
    res = runner.invoke(
        cli, ["drawdowns", "--builtin", "nasdaq", "--threshold", "0.2", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    (dd,) = pd.read_json(pd.io.common.StringIO(res.stdout)).to_dict(orient="records")
    assert dd["peak"] == 4696.69 and dd["trough"] == 1172.06  # 2000-02 to 2002-09, -75.0%
    res = runner.invoke(cli, ["drawdowns", "--builtin", "us-market", "-t", "0.5"])
    assert res.exit_code == 0 and "built-in us-market" in res.stdout
    res = runner.invoke(cli, ["drawdowns"])
    assert res.exit_code == 2 and "one of the two" in res.stderr


def test_parse_window():
    assert parse_window("1y") == 1 and parse_window("6m") == 0.5 and parse_window("252d") == 1
    with pytest.raises(ValueError, match="--window"):
        parse_window("soon")


@pytest.mark.skipif(not SHARED.exists(), reason="needs the shared market history beside the repo")
def test_backtest_reproduces_published_base_rates():
    """The 12-month base rates computed from Kenneth French's data (shared/data/README.md)."""
    d = pd.read_csv(SHARED)
    idx = pd.Series(
        np.cumprod(1 + d["market_return"].to_numpy()),
        index=pd.PeriodIndex(d["month"], freq="M").to_timestamp(),
    )
    got = [round(historical_frequency(idx, 12, t)["frequency"], 3) for t in (0.1, 0.2, 0.3)]
    assert got == [0.376, 0.163, 0.066]


def test_calibrate_and_backtest_commands(tmp_path):
    s = merton_series(0.08, 0.15, 2.0, -0.05, 0.04, years=40, seed=2, per_year=12, freq="ME")
    csv = tmp_path / "m.csv"
    pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Close": s.values}).to_csv(csv, index=False)
    runner = CliRunner()
    res = runner.invoke(cli, ["calibrate", str(csv), "--out", str(tmp_path / "fit.toml")])
    assert res.exit_code == 0, res.output
    assert "monthly log returns" in res.stdout and "LR statistic" in res.stdout
    assert load_scenario(tmp_path / "fit.toml").values["market.ai_volatility"].value > 0
    res = runner.invoke(cli, ["calibrate", str(csv), "--out", str(tmp_path / "fit.toml")])
    assert res.exit_code == 2 and "--force" in res.stderr
    res = runner.invoke(
        cli,
        [
            "backtest",
            str(csv),
            "--window",
            "1y",
            "--threshold",
            "0.1",
            "0.2",
            "-n",
            "2000",
            "--format",
            "csv",
        ],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(pd.io.common.StringIO(res.stdout))
    assert list(table["threshold"]) == [0.1, 0.2]
    assert table["windows"].iloc[0] == 480 - 12 + 1
    assert ((table["model"] > 0) & (table["model"] < 1)).all()
    res = runner.invoke(cli, ["backtest", str(csv), "--window", "100y"])
    assert res.exit_code == 2 and "a window of 1200 needs more" in res.stderr
    # exactly one window: the bootstrap needs more returns than the window, said in one line
    res = runner.invoke(cli, ["backtest", str(csv), "--window", "40y", "-f", "monthly"])
    assert res.exit_code == 2 and "needs more" in res.stderr, res.output
