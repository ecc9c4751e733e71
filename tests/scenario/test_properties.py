"""Property-based: any scenario content is either accepted and runs to finite numbers, or is
rejected with the project's ScenarioError. Never any other exception (RuntimeWarnings are errors)."""

import math

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bubblesim import ScenarioError, scenario_from_dict, simulate
from bubblesim.scenario.schema import PARAMETERS

SCALARS = [p for p in PARAMETERS if p.kind == "scalar"]

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-2, max_value=3),
    st.integers(min_value=-10, max_value=10**6),
)
junk = st.one_of(
    st.text(max_size=5),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.none().map(lambda _: {}),
)


def distribution():
    fields = st.dictionaries(
        st.sampled_from(["mean", "sd", "median", "p90", "low", "high", "mode", "lambda"]),
        numbers,
        max_size=4,
    )
    kinds = st.sampled_from(["normal", "lognormal", "uniform", "triangular", "pert", "gamma"])
    return st.builds(lambda k, f: {"dist": k, **f}, kinds, fields)


year_tables = st.dictionaries(
    st.sampled_from(["2024", "2026", "2027", "2030", "20x6"]),
    st.one_of(st.floats(-100, 1e4), numbers),
    max_size=4,
)


def valid_distribution(p):
    lo = -1e3 if p.low is None else p.low
    hi = 1e3 if p.high is None else min(p.high, 1e3)
    a = st.floats(min_value=lo, max_value=hi, allow_nan=False)
    return st.one_of(
        st.builds(lambda m, s: {"dist": "normal", "mean": m, "sd": s}, a, st.floats(1e-6, 10)),
        st.builds(
            lambda x, y: {"dist": "uniform", "low": min(x, y), "high": max(x, y) + 1e-9}, a, a
        ).filter(lambda d: p.contains(d["high"])),
        st.builds(
            lambda x, y, z: dict(
                zip(("low", "mode", "high"), sorted((x, y, z)), strict=True), dist="pert"
            ),
            a,
            a,
            a,
        ).filter(lambda d: d["high"] > d["low"]),
    )


def valid_scalar(p):
    lo = -1e3 if p.low is None else p.low
    hi = 1e3 if p.high is None else min(p.high, 1e3)
    value = st.floats(
        min_value=lo, max_value=hi, allow_nan=False, exclude_min=p.low_open, exclude_max=p.high_open
    )
    return st.one_of(
        value, value, valid_distribution(p), st.builds(lambda v: {"value": v, "source": "x"}, value)
    )


valid_year_tables = st.dictionaries(
    st.integers(2020, 2040), st.floats(-100, 1e4), min_size=1, max_size=4
).map(lambda d: {str(k): d[k] for k in sorted(d)})
invalid_values = st.one_of(numbers, junk, distribution(), year_tables)


@st.composite
def scenarios(draw):
    data = {
        "scenario": {
            "horizon_years": draw(st.floats(min_value=0.05, max_value=3.0)),
            "steps_per_year": draw(st.integers(min_value=1, max_value=24)),
        },
        "simulation": {"paths": draw(st.integers(1, 40)), "seed": draw(st.integers(0, 2**63 - 1))},
    }
    for p in draw(st.lists(st.sampled_from(SCALARS), max_size=10, unique_by=lambda p: p.name)):
        data.setdefault(p.section, {})[p.key] = draw(valid_scalar(p))
    if draw(st.booleans()):
        data.setdefault("capex", {})["plan"] = draw(valid_year_tables)
    if draw(st.booleans()):
        data.setdefault("cash_burn", {})["plan"] = draw(valid_year_tables)
    if draw(st.booleans()):
        data.setdefault("market", {})["feedback"] = draw(st.booleans())
    if draw(st.booleans()):
        thresholds = draw(st.lists(st.floats(0.01, 0.99), min_size=1, max_size=3, unique=True))
        data["correction"] = {"thresholds": thresholds}
    if draw(st.booleans()):  # corrupt one place
        section = draw(
            st.sampled_from(sorted({p.section for p in PARAMETERS} | {"gpu_demnd", "correlations"}))
        )
        key = draw(st.one_of(st.sampled_from([p.key for p in PARAMETERS]), st.text(max_size=4)))
        table = data.setdefault(section, {})
        if isinstance(table, dict):
            table[key] = draw(invalid_values)
    return data


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(scenarios())
def test_accepted_or_rejected_cleanly(data):
    try:
        sc = scenario_from_dict(data, file="generated.toml")
    except ScenarioError as exc:
        assert "\n" not in str(exc)
        event("rejected at load")
        return
    if sc.n_steps > 80:  # keep each example fast; long grids are covered elsewhere
        event("accepted, not run (long grid)")
        return
    try:
        result = simulate(sc, paths=min(sc.paths, 40), seed=sc.seed)
    except ScenarioError as exc:  # NumericalError: reported, not NaN odds
        assert "became" in str(exc)
        event("accepted, numerical error reported")
        return
    event("accepted and run")
    for row in result.metrics():
        assert 0.0 <= row["probability"] <= 1.0
        assert all(math.isfinite(row[k]) for k in ("std_error", "ci_low", "ci_high"))
    for values in result.states.values():
        assert np.isfinite(values).all()
