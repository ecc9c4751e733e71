"""What the fan charts show on their axes (looked at by eye after each change; held here)."""

import numpy as np
import pandas as pd

from bubblesim.analysis.estimates import QUANTILES
from bubblesim.output.plots import SIGNED_VARIABLES, fan_figure


def _quantiles(low: float, high: float) -> pd.DataFrame:
    dates = pd.date_range("2026-01-31", periods=13, freq="ME")
    qs = np.array(QUANTILES)
    grid = np.outer(np.linspace(0, 1, dates.size), low + (high - low) * qs) + 10.0
    return pd.DataFrame(grid, index=dates, columns=list(QUANTILES))


def test_lab_burn_is_drawn_symlog_with_a_labelled_break_even():
    import matplotlib.pyplot as plt

    fig = fan_figure(_quantiles(-1200.0, 40.0), title="t", caption="c", ylabel="burn",
                     variable="lab_burn")  # fmt: skip
    ax = fig.axes[0]
    assert ax.get_yscale() == "symlog"
    linear, note = SIGNED_VARIABLES["lab_burn"]
    assert any(t.get_text() == note for t in ax.texts)
    ticks = ax.yaxis.get_major_locator()()
    assert (
        0.0 in ticks and -1000.0 in ticks and ax.yaxis.get_major_formatter()(-1000.0, 0) == "-1,000"
    )
    assert ax.get_legend()._loc == 3  # lower left: the start point is at the upper left
    plt.close(fig)
    other = fan_figure(_quantiles(0.5, 2.0), title="t", caption="c", ylabel="coverage",
                       variable="coverage")  # fmt: skip
    assert other.axes[0].get_yscale() == "linear"
    plt.close(other)
