"""The cross-section of bubbles: episodes and crashes exact on hand-made panels and against a
plain-Python oracle, the intervals, the hazard fit on a panel simulated from a known hazard, the
CLI's JSON contract and bad panel files."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from bubblesim.analysis.estimates import wilson_interval
from bubblesim.history.bubbles import (
    BubbleSettings,
    crash_summary,
    find_episodes,
    fit_hazard,
    group_crash,
    industries49,
    industry_months,
    panel_from_frame,
    runup_buckets,
)

from ..cli.test_cli import invoke


def _panel(returns: dict[str, list[float]], market: list[float]):
    n = len(market)
    months = pd.period_range("2000-01", periods=n, freq="M").astype(str)
    return panel_from_frame(pd.DataFrame({"month": months, **returns, "Market": market}), "test")


def _oracle(r, m, t, years=24, horizon=24):
    """The definitions in plain Python, for month t of one industry."""
    raw = math.prod(1 + x for x in r[t - years + 1 : t + 1]) - 1
    mkt = math.prod(1 + x for x in m[t - years + 1 : t + 1]) - 1
    raw5 = math.prod(1 + x for x in r[t - 59 : t + 1]) - 1
    level, peak, deepest = 1.0, 1.0, 0.0
    for x in r[t + 1 : t + horizon + 1]:
        level *= 1 + x
        peak = max(peak, level)
        deepest = max(deepest, 1 - level / peak)
    return raw, raw - mkt, raw5, deepest


def test_a_hand_made_run_up_and_its_crash():
    n = 150
    flat = [0.0] * n
    a = [0.01] * 60 + [0.05] * 20 + [-0.1] * 10 + [0.0] * 60  # up 5% a month, then falls 65%
    panel = _panel({"A": a, "B": flat}, flat)
    months = industry_months(panel)
    episodes = find_episodes(months)
    # the first month whose 24-month return passes 100%: 1.01^(24-k) 1.05^k > 2
    k = next(k for k in range(1, 25) if 1.01 ** (24 - k) * 1.05**k > 2)
    assert list(episodes["industry"]) == ["A"]
    first = episodes.iloc[0]
    assert first["start"] == str(pd.Period("2000-01", freq="M") + 59 + k)
    raw, net, raw5, deepest = _oracle(a, flat, 59 + k)
    assert first["runup_raw"] == pytest.approx(raw) and first["runup_net"] == pytest.approx(net)
    assert raw5 > 0.5
    # the running peak is set inside the window: the fall from it, 1 - 0.9^10, is a crash
    assert first["max_drawdown"] == pytest.approx(deepest) == pytest.approx(1 - 0.9**10, rel=1e-9)
    assert first["crashed"] == 1.0
    assert first["market_return"] == pytest.approx(0.0)
    # a fall that starts at once: the peak is the month itself (79, the last up month)
    at_peak = months[(months["industry"] == "A") & (months["t"] == 79)].iloc[0]
    assert at_peak["max_drawdown"] == pytest.approx(1 - 0.9**10, rel=1e-9)
    # the later qualifying months of the run-up belong to the episode
    assert months.loc[months["industry"] == "A", "qualifies"].sum() > 1


def test_a_second_run_up_two_years_on_is_a_second_episode_and_net_of_the_market():
    up = [0.01] * 60 + [0.05] * 26 + [0.0] * 30 + [0.06] * 30 + [0.0] * 54
    # the market rises as much as C does: C's run-up is raw only
    panel = _panel(
        {"A": up, "C": up}, [0.0] * 60 + [0.05] * 26 + [0.0] * 30 + [0.06] * 30 + [0.0] * 54
    )
    net = find_episodes(industry_months(panel))
    assert net.empty
    raw_only = find_episodes(
        industry_months(panel, BubbleSettings(net=False)), BubbleSettings(net=False)
    )
    assert set(raw_only["industry"]) == {"A", "C"}
    for name in ("A", "C"):
        starts = pd.PeriodIndex(raw_only.loc[raw_only["industry"] == name, "start"], freq="M")
        assert len(starts) >= 2 and all(
            (b - a).n >= 24 for a, b in zip(starts[:-1], starts[1:], strict=True)
        )
    assert raw_only["crashed"].eq(0.0).all()


def test_the_vectorised_definitions_match_a_plain_python_oracle():
    rng = np.random.default_rng(5)
    n = 160
    r = {f"I{i}": list(rng.normal(0.02, 0.12, n).clip(-0.6, 0.8)) for i in range(4)}
    m = list(rng.normal(0.008, 0.04, n))
    months = industry_months(_panel(r, m))
    for name, ret in r.items():
        rows = months[months["industry"] == name].set_index("t")
        for t in (60, 90, n - 25):
            raw, net, raw5, deepest = _oracle(ret, m, t)
            row = rows.loc[t]
            assert row["runup_raw"] == pytest.approx(raw)
            assert row["runup_net"] == pytest.approx(net)
            assert row["runup_5y"] == pytest.approx(raw5)
            assert row["max_drawdown"] == pytest.approx(deepest)
            assert row["crashed"] == float(deepest >= 0.4)
        assert math.isnan(rows.loc[n - 24, "max_drawdown"])  # the window runs past the data
        assert math.isnan(rows.loc[58, "runup_5y"])  # the first full windows: 59 and 23
        assert rows.loc[59, "runup_5y"] == pytest.approx(_oracle(ret, m, 59)[2])
        assert rows.loc[23, "runup_raw"] == pytest.approx(_oracle(ret, m, 23)[0])
        assert math.isnan(rows.loc[22, "runup_raw"])


def test_crash_shares_and_their_intervals():
    panel = industries49()
    months = industry_months(panel)
    episodes = find_episodes(months)
    s = crash_summary(episodes, months)
    assert (s["ci_low"], s["ci_high"]) == wilson_interval(s["n_crashed"], s["n_episodes"])
    assert s["ci_low"] < s["p_crash"] < s["ci_high"]
    assert s["unconditional_ci_low"] < s["unconditional"] < s["unconditional_ci_high"]
    buckets = runup_buckets(months)
    assert [b["runup_high"] for b in buckets] == [0.5, 1.0, 1.5, None]
    for b in buckets:
        assert b["ci_low"] <= b["p_crash"] <= b["ci_high"]
    # the finding: crash odds rise with the run-up (Greenwood, Shleifer & You)
    assert buckets[0]["p_crash"] < buckets[1]["p_crash"] < buckets[2]["p_crash"]
    assert buckets[2]["ci_low"] > buckets[0]["ci_high"]
    # the 1999-2002 tech crash is in the panel
    hardw = episodes[(episodes["industry"] == "Hardw") & (episodes["start"] == "1999-11")]
    assert len(hardw) == 1 and hardw.iloc[0]["max_drawdown"] > 0.8
    tech = group_crash(panel)
    assert tech["peak"] == "2000-03" and tech["trough"] == "2002-09" and tech["fall"] > 0.75


def test_the_fit_recovers_the_hazard_a_panel_was_drawn_from():
    pytest.importorskip("statsmodels")
    rng = np.random.default_rng(11)
    n_ind, n_months = 40, 300
    x = rng.normal(0.0, 0.6, (n_months, n_ind))
    truth = {"const": -2.0, "runup_gain": 1.2, "runup_loss": 0.8}
    eta = (
        truth["const"]
        + truth["runup_gain"] * np.maximum(x, 0)
        + truth["runup_loss"] * np.maximum(-x, 0)
    )
    y = rng.random(x.shape) < 1 / (1 + np.exp(-eta))
    frame = pd.DataFrame(
        {
            "industry": np.tile([f"I{i}" for i in range(n_ind)], n_months),
            "runup_gain": np.maximum(x, 0).ravel(),
            "runup_loss": np.maximum(-x, 0).ravel(),
            "crashed": y.ravel().astype(float),
        }
    )
    fit = fit_hazard(frame, ("runup_gain", "runup_loss"))
    for name, value in truth.items():
        assert abs(fit.coefficients[name] - value) < 3 * fit.std_errors[name], name
    assert fit.n_clusters == n_ind


CONTRACT = {
    "episode": {
        "industry",
        "start",
        "runup_raw",
        "runup_net",
        "crashed",
        "max_drawdown",
        "market_return",
    },
    "summary": {"n_episodes", "n_crashed", "p_crash", "ci_low", "ci_high", "unconditional"},
    "bucket": {"runup_low", "runup_high", "n", "p_crash", "ci_low", "ci_high"},
    "oos": {
        "train",
        "test",
        "brier",
        "brier_base_rate",
        "log_score",
        "log_score_base_rate",
        "n_test",
    },
}


def test_cli_json_keys_are_the_contract(in_tmp):
    pytest.importorskip("statsmodels")
    res = invoke("bubbles", "--fit", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["episodes"] and all(CONTRACT["episode"] <= set(e) for e in doc["episodes"])
    assert all(len(e["start"]) == 7 and e["start"][4] == "-" for e in doc["episodes"])
    assert CONTRACT["summary"] <= set(doc["summary"])
    assert [b["runup_high"] for b in doc["by_runup"]][-1] is None
    assert all(CONTRACT["bucket"] <= set(b) for b in doc["by_runup"])
    coefs = doc["fit"]["coefficients"]
    assert all(set(v) == {"value", "std_error"} for v in coefs.values())
    oos = doc["fit"]["out_of_sample"]
    assert (
        CONTRACT["oos"] <= set(oos)
        and oos["train"].endswith("1995")
        and oos["test"].startswith("1996")
    )
    table = invoke("bubbles")
    assert table.exit_code == 0 and "crashed:" in table.stdout and "Hardw" in table.stdout
    csv = invoke("bubbles", "--runup", "1.5", "--raw", "--format", "csv")
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith("industry,start,")


@pytest.mark.parametrize(
    "text, needle",
    [
        ("date,A,Market\n2000-01,0.1,0.0\n2000-02,0.1,0.0\n", "'month' column"),
        ("month,A\n2000-01,0.1\n2000-02,0.1\n", "'Market' column"),
        ("month,A,Market\n2000-01,x,0.0\n2000-02,0.1,0.0\n", "column 'A'"),
        ("month,A,Market\n2000-01,0.1,0.0\n2000-03,0.1,0.0\n", "consecutive months"),
        ("month,A,Market\n2000-01,12.5,0.0\n2000-02,3.0,0.0\n", "give decimals"),
        ("month,A,Market\n2000-13,0.1,0.0\n2000-02,0.1,0.0\n", "YYYY-MM"),
    ],
)
def test_bad_panel_files_are_one_line_errors(in_tmp, text, needle):
    (in_tmp / "p.csv").write_text(text)
    res = invoke("bubbles", "p.csv")
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert "\n" not in err and needle in err and "p.csv" in err and "Traceback" not in res.output


def test_missing_panel_and_both_sources_are_clear_errors(in_tmp):
    res = invoke("bubbles", "nope.csv")
    assert res.exit_code == 2 and "nope.csv: no such file" in res.stderr
    both = invoke("bubbles", "nope.csv", "--builtin", "industries49")
    assert both.exit_code == 2 and "not both" in both.stderr


def test_a_panel_without_run_ups_or_a_tech_group_still_reports(in_tmp):
    rng = np.random.default_rng(3)
    n = 100
    months = pd.period_range("2000-01", periods=n, freq="M").astype(str)
    calm = pd.DataFrame(
        {"month": months, "A": rng.normal(0.0, 0.01, n), "B": rng.normal(0.0, 0.01, n)}
    )
    calm["Market"] = rng.normal(0.0, 0.01, n)
    calm.to_csv(in_tmp / "calm.csv", index=False)
    for fmt in ("table", "json", "csv"):
        res = invoke("bubbles", "calm.csv", "--format", fmt)
        assert res.exit_code == 0, res.output
    doc = json.loads(invoke("bubbles", "calm.csv", "--format", "json").stdout)
    assert doc["episodes"] == [] and doc["summary"]["n_episodes"] == 0
    assert doc["summary"]["p_crash"] is None and doc["tech_crash"] is None
    csv = invoke("bubbles", "calm.csv", "--format", "csv").stdout
    assert csv.startswith("industry,start,runup_raw,runup_net,crashed,max_drawdown,market_return")
    # a panel that ends before 1996 fits but cannot be scored out of sample: said, not NaN
    pytest.importorskip("statsmodels")
    wild = calm.copy()
    wild["A"] = rng.normal(0.02, 0.2, n).clip(-0.5, 0.9)
    wild.to_csv(in_tmp / "wild.csv", index=False)
    res = invoke("bubbles", "wild.csv", "--fit", "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["fit"]["out_of_sample"] is None
