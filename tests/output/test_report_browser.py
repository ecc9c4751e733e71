"""report.html in a real headless browser: nothing is wider than the page at 1200 px.

Runs where Chromium (or Chrome) is installed (``.ci/run`` installs Debian's ``chromium`` where
it can); skipped otherwise. The report gets a small script appended that measures, after layout,
every table, figure and paragraph against the window's width, and writes what overflows into an
attribute that ``--dump-dom`` prints.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bubblesim.analysis.compare import Comparison
from bubblesim.analysis.result import simulate_with_twins
from bubblesim.history.base_rates import attach_yardstick
from bubblesim.output.report_html import render_report
from bubblesim.output.writers import _runs
from bubblesim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
BROWSER = next((b for b in map(shutil.which, BROWSERS) if b), None)

pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium installed")

_MEASURE = """
<script>
const width = document.documentElement.clientWidth;
const wide = [];
if (document.documentElement.scrollWidth > width) wide.push("page " + document.documentElement.scrollWidth);
for (const el of document.querySelectorAll("table, th, td, figure, img, p, h1, h2, ul")) {
  const right = el.getBoundingClientRect().right;
  if (right > width + 0.5) wide.push(el.tagName + " " + Math.round(right) + ": " + el.textContent.slice(0, 40));
}
document.body.setAttribute("data-width", String(width));
document.body.setAttribute("data-overflow", JSON.stringify(wide));
</script>
"""


def overflow_at(html: str, tmp_path: Path, width: int) -> tuple[int, list[str]]:
    """The page's width and what sticks out past it, in headless Chromium at ``width`` px."""
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
    cmd = [
        BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={width},900", "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'data-width="(\d+)"', out)
    assert found, f"the browser printed no measured page: {out[:500]!r}"
    wide = re.search(r"data-overflow=\"([^\"]*)\"", out).group(1)
    return int(found.group(1)), json.loads(wide.replace("&quot;", '"').replace("&amp;", "&"))


@pytest.fixture(scope="module")
def every_scenario():
    """All bundled scenarios side by side, with their twins and yardsticks: the widest report."""
    scenarios = [load_scenario(p) for p in sorted((ROOT / "scenarios").glob("*.toml"))]
    pairs = simulate_with_twins(scenarios, paths=200, seed=1)
    results = []
    for result, twin in pairs:
        attach_yardstick(result, twin=twin)
        results.append(result)
    return Comparison(results)


def _figure(tmp_path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5))  # the widest figure a report embeds
    ax.plot([0, 1], [0, 1])
    path = tmp_path / "figure.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


@pytest.mark.parametrize("with_difference", [True, False], ids=["compare", "batch"])
def test_every_table_of_the_report_fits_a_1200_px_page(every_scenario, tmp_path, with_difference):
    comparison = every_scenario
    html = render_report(
        title="bubblesim comparison: " + " vs ".join(comparison.names),
        scenarios=[r.scenario for r in comparison.results],
        runs=_runs(comparison.results),
        odds=comparison.table(),
        figures=[(_figure(tmp_path), "a figure as wide as the widest the report embeds")],
        with_difference=with_difference,
    )
    width, wide = overflow_at(html, tmp_path, 1200)
    assert width >= 1100  # the window was as wide as asked
    assert wide == [], wide


def test_the_measure_sees_a_table_wider_than_the_page(tmp_path):
    """The check can fail: a table with a 1,600 px cell is reported."""
    html = (
        "<!DOCTYPE html><html><body><table><tr><td style='min-width:1600px'>wide</td></tr>"
        "</table></body></html>"
    )
    _, wide = overflow_at(html, tmp_path, 1200)
    assert any(w.startswith("TABLE") for w in wide)
