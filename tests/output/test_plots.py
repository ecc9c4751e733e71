"""What the fan charts show on their axes (looked at by eye after each change; held here)."""

from pathlib import Path

import numpy as np
import pandas as pd

from bubblesim.analysis.estimates import QUANTILES
from bubblesim.analysis.result import simulate
from bubblesim.output.plots import SIGNED_VARIABLES, fan_figure
from bubblesim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


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


# --- the insight and comparison figures: what their artists say --------------------------------


def _keep_figures(monkeypatch, *modules):
    """Record every figure the modules save, instead of writing and closing it."""
    kept = {}

    def keep(fig, stem, formats=("png", "svg")):
        kept[Path(stem).name] = fig
        return []

    for module in modules:
        monkeypatch.setattr(module, "save_figure", keep)
    return kept


def test_tornado_bars_name_section_key_and_both_values_with_a_colour_legend(monkeypatch, tmp_path):
    from bubblesim.analysis.insight import parse_metric, tornado
    from bubblesim.output import insight

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    result = tornado(sc, parse_metric(None, sc), paths=300, seed=3)
    kept = _keep_figures(monkeypatch, insight)
    insight.write_sensitivity(result, sc, tmp_path)
    ax = kept["tornado"].axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    row = result.rows[0]
    assert f"{row['parameter']}  ({row['low']:,.4g} -> {row['high']:,.4g})" in labels
    assert all("." in label.split()[0] for label in labels)  # section.key, not a bare key
    (legend,) = kept["tornado"].legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == ["the high value raises P", "the high value lowers P"]
    by_year = kept["by_year"]
    assert list(by_year.axes[0].get_xticks()) == result.years  # no 1.5 between whole years
    assert any("paths" in t.get_text() and "seed" in t.get_text() for t in by_year.texts)


def test_crash_inputs_has_units_a_y_label_and_no_blended_colour(monkeypatch, tmp_path):
    from matplotlib.patches import Polygon

    from bubblesim.analysis.insight import parse_metric
    from bubblesim.output import insight

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    result = simulate(sc, paths=400, seed=2)
    kept = _keep_figures(monkeypatch, insight)
    insight.crash_inputs_figure(result, parse_metric(None, sc), tmp_path / "crash_inputs")
    fig = kept["crash_inputs"]
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(result.draws)  # section.key
    assert visible[0].get_ylabel().startswith("density")
    assert visible[0].get_xlabel() == "factor"  # capex.plan_scale's unit
    # "with" is an outline (a step polygon, unfilled) over the filled "without" bars
    steps = [p for p in visible[0].patches if isinstance(p, Polygon)]
    assert len(steps) == 1 and not steps[0].get_fill()
    handles = visible[0].get_legend().legend_handles
    assert handles[0].get_fill() and not handles[1].get_fill()


def test_compare_fans_fill_only_the_inner_band_and_the_legend_keys_the_bands(monkeypatch, tmp_path):
    from matplotlib.collections import PolyCollection

    from bubblesim.analysis.compare import compare
    from bubblesim.output import plots

    scs = [load_scenario(ROOT / "scenarios" / f) for f in ("baseline.toml", "soft_landing.toml")]
    comparison = compare(scs, paths=200, seed=1)
    kept = _keep_figures(monkeypatch, plots)
    plots.comparison_figures(comparison, tmp_path)
    ax = kept["compare_fan_market"].axes[0]
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 2  # one band each
    legends = [a for a in ax.artists if a.__class__.__name__ == "Legend"] + [ax.get_legend()]
    texts = {t.get_text() for legend in legends for t in legend.get_texts()}
    assert {"baseline", "soft_landing", "median", "25-75%", "5% and 95%"} <= texts
    odds = kept["compare_odds"].axes[0]
    for container in odds.containers:  # whiskers drawn over hollow markers
        dots, caps, bars = container.lines
        assert dots.get_markerfacecolor() in ("white", (1.0, 1.0, 1.0, 1.0))
        assert all(w.get_zorder() > dots.get_zorder() for w in (*caps, *bars))


def _pixels(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def test_frozen_ticks_draw_the_same_pixels(monkeypatch, tmp_path):
    """A saved figure's ticks are fixed after its layout (faster): the same pixels as a figure
    whose locators are asked again, for a date fan with its strip, a log fan and histograms
    (whose ticks depend on the axes' size: frozen before the layout they came out different)."""
    import matplotlib.pyplot as plt

    from bubblesim.analysis.insight import parse_metric
    from bubblesim.output import insight, plots

    sc = load_scenario(ROOT / "scenarios" / "baseline.toml")
    result = simulate(sc, paths=400, seed=2)
    cumulative = {t: result.cumulative("market", t) for t in sc.thresholds_for("market")}
    for variable, log in (("market", False), ("ai_revenue", True)):
        args = dict(title="t", caption="c", ylabel="y", log=log, variable=variable,
                    cumulative=cumulative if variable == "market" else None)  # fmt: skip
        q = result.quantiles(variable)
        frozen = fan_figure(q, for_file=True, **args)
        with monkeypatch.context() as m:
            m.setattr(plots, "freeze_ticks", lambda fig: None)
            auto = fan_figure(q, for_file=True, **args)
        from matplotlib.ticker import FixedLocator

        assert isinstance(frozen.axes[0].xaxis.get_major_locator(), FixedLocator)
        assert not isinstance(auto.axes[0].xaxis.get_major_locator(), FixedLocator)
        np.testing.assert_array_equal(_pixels(frozen), _pixels(auto), err_msg=variable)
        plt.close(frozen)
        plt.close(auto)
    figures = []
    for freeze in (plots.freeze_ticks, lambda fig: None):  # as save_figure does, after the layout
        kept = _keep_figures(monkeypatch, insight)
        insight.crash_inputs_figure(result, parse_metric(None, sc), tmp_path / "crash_inputs")
        freeze(kept["crash_inputs"])
        figures.append(kept["crash_inputs"])
    np.testing.assert_array_equal(_pixels(figures[0]), _pixels(figures[1]))
