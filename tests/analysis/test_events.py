"""Events (#22): each kind exact on hand-made paths, the grid's windows and dates, the built-in
drawdown reproduced, monotone in their fields, the same numbers however the run is cut, and one
clear line for every bad event."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from bubblesim import simulate
from bubblesim.analysis.result import simulate_with_twins
from bubblesim.cli import cli
from bubblesim.engine.reductions import event_first, rolling_max
from bubblesim.scenario import ScenarioError
from bubblesim.scenario.events import Event, window_steps
from tests.conftest import make_scenario


def _event(**kw) -> Event:
    base = {"name": "e", "kind": "drawdown_within", "index": "market", "by_step": 6}
    return Event(**{**base, **kw})


# levels of 3 paths over 7 grid points (time-major, as the engine keeps them)
LEVELS = np.array(
    [
        [100, 100, 100],
        [110, 95, 100],
        [120, 90, 101],
        [80, 85, 99],  # path 0: -33% from 120 in one step
        [85, 100, 98],
        [60, 110, 97],  # path 0: 50% below 120, 3 steps after it
        [90, 70, 96],  # path 1: -36% from 110 in one step
    ],
    dtype=float,
)


def test_drawdown_within_a_window_on_hand_made_paths():
    one_step = _event(depth=0.3, window_steps=1)
    assert event_first(one_step, LEVELS).tolist() == [3, 6, -1]
    deep = _event(depth=0.45, window_steps=2)  # 60 vs max(80, 85, 60)=85: 29%; not 50% of 120
    assert event_first(deep, LEVELS).tolist() == [-1, -1, -1]
    deep3 = _event(depth=0.45, window_steps=3)  # 60 vs 120 three steps back: 50%
    assert event_first(deep3, LEVELS).tolist() == [5, -1, -1]
    early = _event(depth=0.3, window_steps=1, by_step=5)  # path 1's fall is at step 6
    assert event_first(early, LEVELS).tolist() == [3, -1, -1]


def test_below_a_level_by_a_date_and_at_it():
    below = _event(kind="below", level=0.9, by_step=6)
    assert event_first(below, LEVELS).tolist() == [3, 2, -1]  # 80 < 90; 90 reaches 90
    at = _event(kind="below", level=0.9, at=True, by_step=4)  # levels at step 4: 85, 100, 98
    assert event_first(at, LEVELS).tolist() == [4, -1, -1]
    reach = _event(kind="below", level=0.96, by_step=6)  # at the level counts: 96 at step 6
    assert event_first(reach, LEVELS).tolist() == [3, 1, 6]
    short = _event(kind="below", level=0.96, by_step=5)
    assert event_first(short, LEVELS)[2] == -1


def test_below_never_counts_the_start_so_a_level_of_one_or_more_asks_about_later_steps():
    at_start = _event(kind="below", level=1.0, by_step=6)  # step 0 (the start) never counts
    assert event_first(at_start, LEVELS).tolist() == [3, 1, 1]  # path 2 is 100 again at step 1
    above = _event(kind="below", level=1.05, by_step=2)  # at or below 105 at steps 1-2
    assert event_first(above, LEVELS).tolist() == [-1, 1, 1]
    at_end = _event(kind="below", level=1.0, at=True, by_step=6)
    assert event_first(at_end, LEVELS).tolist() == [6, 6, 6]


def test_at_least_on_hand_made_first_dates():
    from dataclasses import dataclass

    from bubblesim.analysis.result import SimulationResult

    @dataclass
    class _Scenario:
        events: tuple
        name: str = "hand"

    firsts = {"a": [2, -1, 5, -1, 1], "b": [4, 3, -1, -1, 1], "c": [-1, 6, 5, -1, 9]}
    events = tuple(_event(name=n, kind="below", level=0.9, by_step=9) for n in firsts) + (
        Event(name="two", kind="at_least", k=2, of=("a", "b", "c"), by_step=9),
        Event(name="two_by5", kind="at_least", k=2, of=("a", "b", "c"), by_step=5),
        Event(name="all", kind="at_least", k=3, of=("a", "b", "c"), by_step=9),
        Event(name="nested", kind="at_least", k=1, of=("two_by5", "c"), by_step=9),
    )
    r = SimulationResult.__new__(SimulationResult)
    r.scenario, r._joint_firsts = _Scenario(events), {}
    r.reductions = {f"event.{n}": np.array(v, dtype=np.int8) for n, v in firsts.items()}
    assert r.event_first("two").tolist() == [4, 6, 5, -1, 1]  # the second date of each path
    assert r.event_first("two_by5").tolist() == [4, -1, 5, -1, 1]  # 6 is after by
    assert r.event_first("all").tolist() == [-1, -1, -1, -1, 9]
    assert r.event_first("nested").tolist() == [4, 6, 5, -1, 1]


def test_rolling_max_is_the_window_maximum_for_every_window():
    rng = np.random.default_rng(1)
    x = rng.random((41, 7))
    for w in (1, 2, 3, 7, 13, 39, 40, 60):
        expected = np.stack([x[max(0, t - w) : t + 1].max(axis=0) for t in range(41)])
        assert np.array_equal(rolling_max(x, w), expected), w


def _grid(steps_per_year=12, years=5.0, start="2026-01", events=(), name="test", **sections):
    return make_scenario(
        scenario={
            "start": start,
            "horizon_years": years,
            "steps_per_year": steps_per_year,
            "name": name,
        },
        events=list(events),
        **sections,
    )


def test_windows_in_trading_days_on_a_daily_grid_and_too_short_on_a_monthly_one():
    assert window_steps("10d", 252, 504) == (10, 10 / 252)
    assert window_steps("2y", 252, 252)[0] == 252  # at most the horizon
    assert window_steps("3m", 52, 520)[0] == 13
    sc = _grid(252, 1.0, events=[{"name": "fast", "index": "ai", "kind": "drawdown_within",
                                  "depth": 0.1, "window": "10d"}])  # fmt: skip
    assert sc.events[0].window_steps == 10
    with pytest.raises(ScenarioError) as err:
        _grid(12, 1.0, events=[{"name": "fast", "index": "ai", "kind": "drawdown_within",
                                "depth": 0.1, "window": "10d"}])  # fmt: skip
    text = str(err.value)
    assert "events[0] 'fast'.window" in text and "shorter than one step" in text
    assert "1 month" in text and "steps_per_year = 12" in text


def test_by_reads_the_nearest_grid_point_not_the_next():
    sc = _grid(12, 2.0)
    dates = sc.dates()
    # a day after a grid point reads that point; a day before the next reads the next
    after = str(dates[5] + np.timedelta64(1, "D"))
    before = str(dates[6] - np.timedelta64(1, "D"))
    got = _grid(12, 2.0, events=[
        {"name": "a", "index": "market", "kind": "below", "level": 0.9, "by": after},
        {"name": "b", "index": "market", "kind": "below", "level": 0.9, "by": before},
    ]).events  # fmt: skip
    assert (got[0].by_step, got[1].by_step) == (5, 6)


def test_by_reads_the_grid_point_nearest_the_date():
    sc = _grid(12, 2.0, events=[{"name": "x", "index": "market", "kind": "below",
                                 "level": 0.9, "by": "2026-12-31"}])  # fmt: skip
    assert sc.events[0].by_step == 12 and sc.events[0].by_date == str(sc.dates()[12])
    import datetime

    toml_date = _grid(12, 2.0, events=[{"name": "x", "index": "market", "kind": "below",
                                        "level": 0.9, "by": datetime.date(2026, 12, 31)}])  # fmt: skip
    assert toml_date.events[0].by_step == 12
    stamp = _grid(12, 2.0, events=[{"name": "x", "index": "market", "kind": "below", "level": 0.9,
                                    "by": datetime.datetime(2026, 12, 31, 16, 0)}])  # fmt: skip
    assert stamp.events[0].by_step == 12


def _run(sc, paths=2000, seed=5, **kw):
    return simulate(sc, paths=paths, seed=seed, **kw)


def test_a_window_as_long_as_the_horizon_is_the_drawdown_metric_path_for_path():
    events = [
        {"name": f"{index}{j}", "index": index, "kind": "drawdown_within", "depth": thr,
         "window": "5y"}
        for index, thresholds in (("ai", (0.2, 0.3, 0.5)), ("market", (0.1, 0.2, 0.3)))
        for j, thr in enumerate(thresholds)
    ]  # fmt: skip
    events.append({"name": "fall", "index": "market", "kind": "below", "level": 0.8})
    r = _run(_grid(events=events))
    for index, thresholds in (("ai", (0.2, 0.3, 0.5)), ("market", (0.1, 0.2, 0.3))):
        for j, _ in enumerate(thresholds):
            builtin = r.reductions[f"{index}.first_drawdown.{j}"]
            assert np.array_equal(r.event_first(f"{index}{j}"), builtin)
    # at or below 80% of the start at any point by the end: the fall-below-start metric at 20%
    assert np.array_equal(r.event_hits("fall"), r.hits("market", 0.2, "fall"))


def test_longer_windows_and_shallower_falls_never_lower_the_probability():
    windows = ["1m", "3m", "6m", "1y", "2y", "5y"]
    depths = [0.1, 0.2, 0.3, 0.4]
    events = [
        {"name": f"w{i}d{j}", "index": "ai", "kind": "drawdown_within", "depth": d, "window": w}
        for i, w in enumerate(windows) for j, d in enumerate(depths)
    ]  # fmt: skip
    events += [{"name": f"below{j}", "index": "market", "kind": "below", "level": lv}
               for j, lv in enumerate((0.7, 0.8, 0.9))]  # fmt: skip
    events += [{"name": f"by{j}", "index": "market", "kind": "below", "level": 0.9, "by": by}
               for j, by in enumerate(("2027-01-01", "2028-01-01", "2030-01-01"))]  # fmt: skip
    r = _run(_grid(events=events))
    p = {e.name: r.event_hits(e.name).mean() for e in r.scenario.events}
    for j in range(len(depths)):
        along = [p[f"w{i}d{j}"] for i in range(len(windows))]
        assert along == sorted(along)  # longer window: never lower
    for i in range(len(windows)):
        deeper = [p[f"w{i}d{j}"] for j in range(len(depths))]
        assert deeper == sorted(deeper, reverse=True)  # deeper fall: never higher
        assert deeper[0] > deeper[-1]
    assert p["below0"] <= p["below1"] <= p["below2"] and p["below0"] < p["below2"]
    assert p["by0"] <= p["by1"] <= p["by2"] and p["by0"] < p["by2"]
    # path by path, not only on average: a longer window contains every shorter one's hit
    for i in range(len(windows) - 1):
        assert not (r.event_hits(f"w{i}d1") & ~r.event_hits(f"w{i + 1}d1")).any()


def test_at_least_k_of_counts_each_event_by_its_own_date():
    events = [
        {"name": "a", "index": "ai", "kind": "drawdown_within", "depth": 0.3, "window": "1y",
         "by": "2028-01-01"},
        {"name": "b", "index": "market", "kind": "below", "level": 0.85},
        {"name": "c", "index": "market", "kind": "drawdown_within", "depth": 0.2, "window": "6m"},
        {"name": "any", "kind": "at_least", "k": 1, "of": ["a", "b", "c"]},
        {"name": "two", "kind": "at_least", "k": 2, "of": ["a", "b", "c"]},
        {"name": "all", "kind": "at_least", "k": 3, "of": ["a", "b", "c"]},
        {"name": "two_early", "kind": "at_least", "k": 2, "of": ["a", "b", "c"],
         "by": "2029-01-01"},
    ]  # fmt: skip
    r = _run(_grid(events=events))
    hits = np.stack([r.event_hits(n) for n in "abc"])
    firsts = np.stack([r.event_first(n) for n in "abc"]).astype(float)
    assert np.array_equal(r.event_hits("any"), hits.any(axis=0))
    assert np.array_equal(r.event_hits("two"), hits.sum(axis=0) >= 2)
    assert np.array_equal(r.event_hits("all"), hits.all(axis=0))
    firsts[firsts < 0] = np.inf
    second = np.sort(firsts, axis=0)[1]  # the date the second event happened
    by = r.scenario.events[-1].by_step
    assert np.array_equal(r.event_hits("two_early"), second <= by)
    assert np.array_equal(r.event_first("two")[r.event_hits("two")], second[second < np.inf])
    assert 0 < r.event_hits("two_early").mean() < r.event_hits("two").mean()


EVENTS = [
    {"name": "fast", "index": "ai", "kind": "drawdown_within", "depth": 0.35, "window": "2m",
     "by": "2027-12-31"},
    {"name": "low", "index": "market", "kind": "below", "level": 0.85, "by": "2026-12-31"},
    {"name": "at_end", "index": "market", "kind": "below", "level": 1.0, "by": "2028-01-01",
     "at": True},
    {"name": "either", "kind": "at_least", "k": 1, "of": ["fast", "low"]},
]  # fmt: skip


def test_events_are_the_same_however_the_run_is_cut_and_on_workers():
    sc = _grid(12, 3.0, events=EVENTS)
    one = _run(sc, paths=9000, seed=11)
    two = _run(sc, paths=9000, seed=11, workers=2)
    for e in sc.events:
        assert np.array_equal(one.event_first(e.name), two.event_first(e.name))
    # the first 4,096 paths (one block) are the same paths in a shorter run
    short = _run(sc, paths=4096, seed=11)
    for e in sc.events:
        assert np.array_equal(short.event_first(e.name), one.event_first(e.name)[:4096])


def test_on_a_daily_grid_events_are_the_same_across_workers_and_pieces():
    """A daily grid cuts each block into pieces (2,144 paths at 505 points): the events read
    on them are those of one piece or one worker."""
    events = [
        {"name": "fast", "index": "ai", "kind": "drawdown_within", "depth": 0.1, "window": "10d"},
        {"name": "low", "index": "market", "kind": "below", "level": 0.95, "by": "2026-09-30"},
    ]  # fmt: skip
    sc = _grid(252, 2.0, events=events)
    one = _run(sc, paths=5000, seed=3)
    two = _run(sc, paths=5000, seed=3, workers=2)
    full = _run(sc, paths=5000, seed=3, keep_paths=5000)  # the events from the full paths
    for e in sc.events:
        assert np.array_equal(one.event_first(e.name), two.event_first(e.name))
        levels = full.states["ai_index" if e.index == "ai" else "market"]
        assert np.array_equal(one.event_first(e.name), event_first(e, levels))
    assert 0 < one.event_hits("fast").mean() < 1 and 0 < one.event_hits("low").mean() < 1


def test_a_child_file_adds_its_events_to_its_parents(tmp_path):
    from bubblesim import load_scenario

    parent = tmp_path / "parent.toml"
    parent.write_text(
        '[[events]]\nname = "a"\nindex = "ai"\nkind = "below"\nlevel = 0.8\n'
        '[[events]]\nname = "b"\nindex = "ai"\nkind = "below"\nlevel = 0.7\n'
    )
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "parent.toml"\n'
        '[[events]]\nname = "b"\nindex = "market"\nkind = "below"\nlevel = 0.9\n'
        '[[events]]\nname = "either"\nkind = "at_least"\nk = 1\nof = ["a", "b"]\n'
    )
    got = load_scenario(child).events
    assert [(e.name, e.index) for e in got] == [("a", "ai"), ("b", "market"), ("either", None)]
    clear = tmp_path / "clear.toml"
    clear.write_text('extends = "parent.toml"\nevents = []\n')
    assert load_scenario(clear).events == ()


def test_events_in_summary_json_and_correction_by_date(tmp_path):
    path = tmp_path / "ev.toml"
    path.write_text(
        '[scenario]\nname = "ev"\nhorizon_years = 3\n[simulation]\npaths = 1500\n'
        '[[events]]\nname = "low"\nindex = "market"\nkind = "below"\nlevel = 0.85\n'
        "by = 2026-12-31\n"
        '[[events.reference]]\nprobability = 0.39\nwho = "Kalshi traders"\nwhen = "2026-02-20"\n'
        'source = "https://example.org/kalshi"\n'
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", str(path), "-q", "-j", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "summary.json").read_text())
    (ev,) = doc["events"]
    for key in ("name", "index", "kind", "level", "by", "probability", "std_error", "ci_low",
                "ci_high", "paths_hit", "no_bubble_probability", "ai_effect", "ai_effect_ci_low",
                "ai_effect_ci_high", "reference"):  # fmt: skip
        assert key in ev, key
    assert (
        ev["reference"][0]["probability"] == 0.39 and ev["reference"][0]["who"] == "Kalshi traders"
    )
    assert ev["paths_hit"] == round(ev["probability"] * 1500)
    assert ev["ci_low"] < ev["probability"] < ev["ci_high"]
    import pandas as pd

    table = pd.read_csv(out / "correction_by_date.csv", keep_default_na=False)
    rows = table[table["event"] == "low"]
    assert len(rows) == 37 and rows["probability"].is_monotonic_increasing
    assert rows["probability"].iloc[-1] == pytest.approx(ev["probability"])
    assert rows["probability"].iloc[12] == pytest.approx(ev["probability"])  # nothing after by
    res = CliRunner().invoke(cli, ["run", str(path), "-j", "1", "--out", str(out), "--force"])
    assert "others' forecast (not data): 39%, Kalshi traders, 2026-02-20" in res.output


def test_compare_pairs_events_and_the_twin_gives_the_ai_effect():
    base = _grid(12, 3.0, events=EVENTS)
    faster = _grid(12, 3.0, events=EVENTS, name="faster", llm_price={"annual_decay": 40.0})
    pairs = simulate_with_twins([base, faster], paths=3000, seed=2)
    from bubblesim.analysis.compare import Comparison

    for result, twin in pairs:
        result.attach_yardstick(no_bubble=twin)
    table = Comparison([r for r, _ in pairs]).event_table()
    assert list(table["event"].unique()) == ["fast", "low", "at_end", "either"]
    assert table["paired"].all() and table["same_definition"].all()
    r0, r1 = (r for r, _ in pairs)
    row = table[(table["event"] == "fast") & (table["scenario"] == r1.scenario.name)].iloc[0]
    assert row["difference"] == pytest.approx(
        r1.event_hits("fast").mean() - r0.event_hits("fast").mean()
    )
    ev = {e["name"]: e for e in r0.events()}["fast"]
    assert ev["ai_effect"] == pytest.approx(ev["probability"] - ev["no_bubble_probability"])
    # a description or a reference is not a definition; a depth is
    worded = [dict(e, description="said otherwise") for e in EVENTS]
    deeper = [dict(e, depth=0.4) if e["name"] == "fast" else e for e in EVENTS[:1]]
    three = [base, _grid(12, 3.0, events=worded, name="worded"),
             _grid(12, 3.0, events=deeper, name="deeper")]  # fmt: skip
    table = Comparison([simulate(sc, paths=500, seed=2) for sc in three]).event_table()
    same = dict(zip(table["scenario"], table["same_definition"], strict=True))
    assert same == {"test": True, "worded": True, "deeper": False}
    assert Comparison([simulate(sc, paths=500, seed=2) for sc in three]).events_left_out() == [
        "low", "at_end", "either"]  # fmt: skip


def test_the_insight_commands_take_an_event_as_the_metric(tmp_path):
    path = tmp_path / "ev.toml"
    path.write_text(
        '[scenario]\nname = "ev"\nhorizon_years = 2\n[llm_price]\n'
        'elasticity = { dist = "uniform", low = 0.6, high = 1.2 }\n'
        '[[events]]\nname = "fast"\nindex = "ai"\nkind = "drawdown_within"\ndepth = 0.3\n'
        'window = "3m"\n'
    )
    res = CliRunner().invoke(cli, ["sensitivity", str(path), "-n", "600", "-m", "event:fast",
                                   "-j", "1", "--out", str(tmp_path / "s")])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "s" / "sensitivity.json").read_text())
    assert doc["metric"] == "event:fast"
    bad = CliRunner().invoke(cli, ["sensitivity", str(path), "-n", "600", "-m", "event:fas"])
    assert bad.exit_code == 2 and "did you mean 'fast'" in bad.output
    assert "Traceback" not in bad.output


BAD = [
    ({"name": "x", "index": "ai", "kind": "drawdown_within", "depth": 0.3}, "x'.window", "needs it"),
    ({"name": "x", "index": "ai", "kind": "drawdown_within", "depth": 1.3, "window": "1y"},
     "x'.depth", "fraction"),
    ({"name": "x", "index": "ai", "kind": "drawdown_within", "depth": 0.3, "window": "1 year"},
     "x'.window", '"10d"'),
    ({"name": "x", "index": "bonds", "kind": "below", "level": 0.9}, "x'.index", '"ai" or "market"'),
    ({"name": "x", "index": "ai", "kind": "crash", "level": 0.9}, "x'.kind", "drawdown_within"),
    ({"name": "x", "index": "ai", "kind": "below", "level": 0.9, "by": "2040-01-01"}, "x'.by",
     "after the horizon's end"),
    ({"name": "x", "index": "ai", "kind": "below", "level": 0.9, "by": "2025-06-30"}, "x'.by",
     "not after the start"),
    ({"name": "x", "index": "ai", "kind": "below", "level": 0.9, "by": "June 2027"}, "x'.by",
     "YYYY-MM-DD"),
    ({"name": "x", "index": "ai", "kind": "drawdown_within", "depth": 0.3, "window": "9" * 400 + "y"},
     "x'.window", "not a finite length"),
    ({"name": "x", "index": "ai", "kind": "below", "level": 0.9, "depth": 0.2}, "x'.depth",
     "not a field of a below event"),
    ({"name": "x", "kind": "at_least", "k": 1, "of": ["nope"]}, "x'.of", "'nope' is not an event"),
    ({"name": "x", "kind": "at_least", "k": 3, "of": ["ok"]}, "x'.k", "from 1 to 1"),
    ({"name": "1x", "index": "ai", "kind": "below", "level": 0.9}, "events[1].name", "letters"),
    ({"name": "ok", "index": "ai", "kind": "below", "level": 0.9}, "'ok'.name", "second event"),
    ({"name": "x", "index": "ai", "kind": "below", "level": 0.9,
      "reference": [{"probability": 37, "who": "a", "when": "b", "source": "c"}]},
     "x'.reference[0].probability", "[0, 1]"),
    ({"name": "x", "index": "ai", "kind": "below", "level": 0.9,
      "reference": [{"probability": 0.3, "who": "a", "source": "c"}]},
     "x'.reference[0].when", "non-empty string"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "key", "says"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_a_bad_event_is_one_line_naming_the_event_and_the_field(bad, key, says):
    ok = {"name": "ok", "index": "ai", "kind": "below", "level": 0.9}
    with pytest.raises(ScenarioError) as err:
        _grid(12, 3.0, events=[ok, bad])
    text = str(err.value)
    assert text.startswith("test.toml: events[1]") and key in text and says in text, text
    assert "\n" not in text


def test_a_bad_event_file_exits_2_with_one_line_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[events]]\nname = "x"\nindex = "ai"\nkind = "below"\nlevel = -0.5\n')
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", str(path), "--out", str(out)])
    assert res.exit_code == 2
    assert "bad.toml: events[0] 'x'.level: expected a positive number" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_a_scenario_without_events_keeps_its_hash():
    from bubblesim import load_scenario

    from ..conftest import SCENARIOS

    plain = make_scenario()
    with_one = _grid(events=[{"name": "x", "index": "ai", "kind": "below", "level": 0.9}])
    assert plain.sha256 != with_one.sha256
    assert plain.events == () and "events" not in plain.resolved
    # the baseline's hash as recorded in every output before events existed
    assert load_scenario(SCENARIOS / "baseline.toml").sha256.startswith("2bcf50c691e97b3c")


def test_a_reference_may_be_one_table():
    one = _grid(events=[{"name": "x", "index": "ai", "kind": "below", "level": 0.9,
                         "reference": {"probability": 0.2, "who": "w", "when": "2026-01-01",
                                       "source": "s"}}])  # fmt: skip
    assert one.events[0].reference == ({"probability": 0.2, "who": "w", "when": "2026-01-01",
                                        "source": "s"},)  # fmt: skip
