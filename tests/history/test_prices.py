"""Reading users' price CSVs and finding drawdowns, on series with planted falls (known dates and depths)."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from bubblesim.cli import cli
from bubblesim.history.drawdowns import find_drawdowns
from bubblesim.history.prices import PriceFileError, read_prices


def planted() -> pd.Series:
    """Up to 100, down 30% and back exactly to 100, up to 120, down exactly 20%, no recovery."""
    values = [50, 80, 100, 90, 70, 85, 100, 110, 120, 100, 96, 110]
    dates = pd.bdate_range("2020-01-01", periods=len(values))
    return pd.Series(values, index=dates, dtype=float)


def test_planted_drawdowns_exact():
    s = planted()
    table = find_drawdowns(s, 0.2)
    assert list(table.columns) == [
        "peak_date",
        "peak",
        "trough_date",
        "trough",
        "depth",
        "recovery_date",
    ]
    assert table.to_dict("records") == [
        {
            "peak_date": "2020-01-03",
            "peak": 100.0,
            "trough_date": "2020-01-07",
            "trough": 70.0,
            "depth": pytest.approx(-0.3),
            "recovery_date": "2020-01-09",
        },
        {
            "peak_date": "2020-01-13",
            "peak": 120.0,
            "trough_date": "2020-01-15",
            "trough": 96.0,
            "depth": pytest.approx(-0.2),
            "recovery_date": "",
        },
    ]
    assert len(find_drawdowns(s, 0.25)) == 1
    assert len(find_drawdowns(s, 0.05)) == 2  # 100 -> 90 is part of the same episode


def test_dot_com_and_financial_crisis_anchors():
    """Closing highs and lows of the NASDAQ (2000-02) and S&P 500 (2007-09) planted in a noisy series."""
    rng = np.random.default_rng(0)

    def episode(peak_date, peak, trough_date, trough):
        days = pd.bdate_range(
            pd.Timestamp(peak_date) - pd.Timedelta(days=60),
            pd.Timestamp(trough_date) + pd.Timedelta(days=60),
        )
        values = np.empty(len(days))
        p, t = days.get_loc(pd.Timestamp(peak_date)), days.get_loc(pd.Timestamp(trough_date))
        values[: p + 1] = np.linspace(peak * 0.8, peak, p + 1)
        decline = np.exp(np.linspace(np.log(peak), np.log(trough), t - p + 1))
        # noise strictly between the planted trough and peak, so both stay the extremes
        values[p : t + 1] = np.minimum(decline * (1 + 0.02 * rng.random(t - p + 1)), 0.999 * peak)
        values[p], values[t] = peak, trough
        values[t + 1 :] = np.linspace(trough * 1.05, trough * 1.3, len(days) - t - 1)
        return pd.Series(values, index=days)

    nasdaq = find_drawdowns(episode("2000-03-10", 5048.62, "2002-10-09", 1114.11), 0.2).iloc[0]
    assert (nasdaq.peak_date, nasdaq.trough_date) == ("2000-03-10", "2002-10-09")
    assert round(100 * nasdaq.depth, 1) == -77.9
    spx = find_drawdowns(episode("2007-10-09", 1565.15, "2009-03-09", 676.53), 0.2).iloc[0]
    assert (spx.peak_date, spx.trough_date) == ("2007-10-09", "2009-03-09")
    assert round(100 * spx.depth, 1) == -56.8


YAHOO = """Date,Open,High,Low,Close,Adj Close,Volume
2020-01-02,1,1,1,100,99,10
2020-01-03,1,1,1,null,null,0
2020-01-06,1,1,1,70,69,10
2020-01-07,1,1,1,101,100,10
"""


def test_reads_yahoo_fred_and_stooq_layouts(tmp_path):
    (tmp_path / "y.csv").write_text(YAHOO)
    s = read_prices(tmp_path / "y.csv")
    assert s.name == "Close" and list(s) == [100, 70, 101]
    assert list(read_prices(tmp_path / "y.csv", column="Adj Close")) == [99, 69, 100]
    (tmp_path / "f.csv").write_text(
        "observation_date,SP500\n2020-01-02,3257.85\n2020-01-03,.\n2020-01-06,3246.28\n"
    )
    assert list(read_prices(tmp_path / "f.csv")) == [3257.85, 3246.28]
    (tmp_path / "s.csv").write_text(
        "Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,10,5\n2020-01-03,1,2,0.5,11,5\n"
    )
    assert list(read_prices(tmp_path / "s.csv")) == [10, 11]


@pytest.mark.parametrize(
    "text, needle",
    [
        (
            "Date,Close\n2020-01-02,100\nyesterday,90\n",
            "line 3, column 'Date': cannot read 'yesterday' as a date",
        ),
        (
            "Date,Close\n2020-01-02,100\n2020-01-03,0\n",
            "line 3, column 'Close': prices must be positive",
        ),
        ("Date,Close\n2020-01-02,100\n2020-01-03,-5\n", "prices must be positive"),
        (
            "Date,Close\n2020-01-02,100\n2020-01-03,abc\n",
            "line 3, column 'Close': expected a number, got 'abc'",
        ),
        (
            "Date,Close\n2020-01-03,100\n2020-01-02,90\n",
            "dates must be in increasing order (2020-01-02 follows 2020-01-03)",
        ),
        ("Date,Close\n2020-01-02,100\n2020-01-02,90\n", "date 2020-01-02 appears twice"),
        (
            "Date,Open,Volume\n2020-01-02,1,2\n2020-01-03,1,2\n",
            "cannot tell which column holds the closing price",
        ),
        ("Date\n2020-01-02\n", "expected at least two columns"),
        ("Date,Close\n2020-01-02,100\n", "expected at least two prices"),
    ],
)
def test_bad_price_files(tmp_path, text, needle):
    p = tmp_path / "p.csv"
    p.write_text(text)
    with pytest.raises(PriceFileError) as info:
        read_prices(p)
    assert needle in str(info.value) and str(p) in str(info.value)


def test_missing_column_and_file(tmp_path):
    (tmp_path / "y.csv").write_text(YAHOO)
    with pytest.raises(PriceFileError, match="--column 'Last' not found"):
        read_prices(tmp_path / "y.csv", column="Last")
    with pytest.raises(PriceFileError, match="no such file"):
        read_prices(tmp_path / "none.csv")


def test_drawdowns_command_formats(tmp_path):
    s = planted()
    path = tmp_path / "prices.csv"
    pd.DataFrame({"Date": s.index.strftime("%Y-%m-%d"), "Close": s.values}).to_csv(
        path, index=False
    )
    runner = CliRunner()
    res = runner.invoke(cli, ["drawdowns", str(path)])
    assert (
        res.exit_code == 0
        and "2 drawdown(s)" in res.stdout
        and "-30.0%" in res.stdout
        and "(not yet)" in res.stdout
    )
    res = runner.invoke(cli, ["drawdowns", str(path), "--threshold", "0.25", "--format", "csv"])
    lines = res.stdout.strip().splitlines()
    assert lines[0] == "peak_date,peak,trough_date,trough,depth,recovery_date"
    assert lines[1].startswith("2020-01-03,100.0,2020-01-07,70.0,-0.3")
    res = runner.invoke(cli, ["drawdowns", str(path), "--format", "json"])
    assert [r["trough_date"] for r in json.loads(res.stdout)] == ["2020-01-07", "2020-01-15"]
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Close\n2020-01-02,100\n2020-01-02,90\n")
    res = runner.invoke(cli, ["drawdowns", str(bad)])
    assert res.exit_code == 2 and "appears twice" in res.stderr and "\n" not in res.stderr.strip()
    res = runner.invoke(cli, ["drawdowns", str(path), "--threshold", "1.5"])
    assert res.exit_code == 2 and "--threshold" in res.stderr
