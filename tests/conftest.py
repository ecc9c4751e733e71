import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from bubblesim import scenario_from_dict  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def scenarios_dir() -> Path:
    return SCENARIOS


def make_scenario(**sections):
    """A scenario from defaults plus ``section={key: value}`` overrides."""
    return scenario_from_dict(sections, file="test.toml")


@pytest.fixture(autouse=True)
def _no_display(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    yield


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run inside a temporary folder (for CLI runs that write outputs/)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


os.environ.setdefault("MPLBACKEND", "Agg")
