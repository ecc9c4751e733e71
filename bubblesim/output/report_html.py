"""``report.html``: one self-contained file to share (inline CSS, figures embedded, no scripts,
no network requests). Scenario text is data: everything from a scenario is HTML-escaped."""

from __future__ import annotations

import base64
import datetime as _dt
from html import escape
from pathlib import Path

import pandas as pd

from .._version import __version__
from ..scenario import Scenario

__all__ = ["render_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1200px;
color:#222;padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:.9rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0;max-width:100%}
th,td{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f4f4f4}th,td{overflow-wrap:break-word}td.num{text-align:right;white-space:nowrap}
td.num .src{white-space:normal}code{overflow-wrap:anywhere}
table.many{font-size:.78rem}table.many td{overflow-wrap:anywhere}
td.diff{background:#fff3bf}.src{color:#777;font-size:.75rem;display:block;margin-top:.15rem}
.pos{color:#b00020}.neg{color:#1b5e20}figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#555;font-size:.8rem}ul.refs{margin:0;padding-left:1rem}
"""


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _yardstick_cell(r) -> str:
    if "no_bubble_probability" not in r or pd.isna(r["no_bubble_probability"]):
        return ""
    hist = r.get("history_base_rate")
    text = ""
    if hist is not None and not pd.isna(hist):
        text = f"history {_pct(hist)}"
        lo, hi = r.get("history_ci_low"), r.get("history_ci_high")
        if lo is not None and not pd.isna(lo):
            text += f" [{100 * lo:.1f}, {100 * hi:.1f}]"
        text += " &middot; "
    return (
        f"<span class='src'>{text}no bubble {_pct(r['no_bubble_probability'])} &middot; AI adds "
        f"{100 * r['ai_effect']:+.1f} [{100 * r['ai_effect_ci_low']:+.1f}, "
        f"{100 * r['ai_effect_ci_high']:+.1f}]</span>"
    )


def _event_label(name: str, thr: float) -> str:
    return ("drawdown from peak" if name == "drawdown" else "fall below start") + f" &ge; {thr:.0%}"


def _odds_table(table: pd.DataFrame, names: list[str], with_difference: bool) -> str:
    """The odds per event and scenario and, with ``with_difference``, a second table of the
    paired differences against the first scenario: two narrower tables fit a page where one
    with every column did not (a number's interval goes on the line below it)."""
    keys = list(table[["name", "index", "threshold"]].drop_duplicates().itertuples(index=False))
    subs = {
        key: table[
            (table["name"] == key[0]) & (table["index"] == key[1]) & (table["threshold"] == key[2])
        ].set_index("scenario")
        for key in keys
    }

    def rows(columns, cell) -> str:
        out = []
        for key in keys:
            label = "AI index" if key[1] == "ai" else "market"
            cells = "".join(cell(subs[key], n) for n in columns)
            out.append(f"<tr><td>{label}</td><td>{_event_label(key[0], key[2])}</td>{cells}</tr>")
        return "".join(out)

    def odds_cell(sub, n) -> str:
        if n not in sub.index:
            return "<td class='num'>&ndash;</td>"
        r = sub.loc[n]
        return (
            f"<td class='num'><b>{_pct(r['probability'])}</b><br>[{_pct(r['ci_low'])}, "
            f"{_pct(r['ci_high'])}]{_yardstick_cell(r)}</td>"
        )

    def difference_cell(sub, n) -> str:
        if n not in sub.index:
            return "<td class='num'>&ndash;</td>"
        r = sub.loc[n]
        cls = "pos" if r["difference_ci_low"] > 0 else "neg" if r["difference_ci_high"] < 0 else ""
        return (
            f"<td class='num {cls}'>{100 * r['difference']:+.1f} pts<br>"
            f"[{100 * r['difference_ci_low']:+.1f}, {100 * r['difference_ci_high']:+.1f}]</td>"
        )

    head = "<tr><th>index</th><th>event</th>" + "".join(f"<th>{escape(n)}</th>" for n in names)
    html = f"<table>{head}</tr>{rows(names, odds_cell)}</table>"
    if with_difference and len(names) > 1:
        head = "<tr><th>index</th><th>event</th>" + "".join(
            f"<th>{escape(n)} &minus; {escape(names[0])}</th>" for n in names[1:]
        )
        html += (
            f"<p class='meta'>Paired differences against <b>{escape(names[0])}</b>, points of "
            f"probability with paired 95% intervals:</p><table>{head}</tr>"
            f"{rows(names[1:], difference_cell)}</table>"
        )
    return html


def _events_table(rows: list[dict], with_difference: bool, reference: str) -> str:
    """Each event per scenario: bubblesim's probability with its interval (and the twin's, and
    the paired difference to the reference scenario in a comparison), then the forecasts others
    published for a matching question, labelled as forecasts, not data."""
    head = "<tr><th>event</th><th>scenario</th><th>bubblesim</th>"
    head += f"<th>&minus; {escape(reference)}<br>(paired 95%)</th>" if with_difference else ""
    head += "<th>others' forecasts (not data)</th></tr>"
    body = []
    for r in rows:
        cell = f"<b>{_pct(r['probability'])}</b><br>[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]"
        if "no_bubble_probability" in r and not pd.isna(r.get("no_bubble_probability")):
            cell += (
                f"<span class='src'>no bubble {_pct(r['no_bubble_probability'])} &middot; AI adds "
                f"{100 * r['ai_effect']:+.1f} [{100 * r['ai_effect_ci_low']:+.1f}, "
                f"{100 * r['ai_effect_ci_high']:+.1f}]</span>"
            )
        diff = ""
        if with_difference:
            diff = "<td class='num'></td>" if r["scenario"] == reference else (
                f"<td class='num'>{100 * r['difference']:+.1f} pts<br>[{100 * r['difference_ci_low']:+.1f}, "
                f"{100 * r['difference_ci_high']:+.1f}]</td>"
            )  # fmt: skip
        refs = "".join(
            f"<li><b>{100 * f['probability']:.4g}%</b> {escape(f['who'])}, {escape(f['when'])}"
            + (f": &ldquo;{escape(f['question'])}&rdquo;" if f.get("question") else "")
            + f"<span class='src'>{escape(f['source'])}"
            + (f" &middot; {escape(f['note'])}" if f.get("note") else "")
            + "</span></li>"
            for f in r.get("reference") or []
        )
        refs = f"<ul class='refs'>{refs}</ul>" if refs else "&ndash;"
        body.append(
            f"<tr><td><code>{escape(r['event'])}</code><span class='src'>{escape(r['label'])}</span></td>"
            f"<td>{escape(r['scenario'])}</td><td class='num'>{cell}</td>{diff}<td>{refs}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _assumptions_table(scenarios: list[Scenario]) -> str:
    lists = [{a["name"]: a for a in sc.assumptions()} for sc in scenarios]
    head = (
        "<tr><th>assumption</th><th>unit</th>"
        + "".join(f"<th>{escape(sc.name)}</th>" for sc in scenarios)
        + "</tr>"
    )
    rows = []
    for key, first in lists[0].items():
        cells = []
        for i, items in enumerate(lists):
            a = items[key]
            differs = i > 0 and a["value"] != first["value"]
            cls = " class='diff'" if differs else ""
            src = f"<span class='src'>{escape(a['source'])}</span>" if a["source"] else ""
            cells.append(f"<td{cls}>{escape(a['text'])}{src}</td>")
        rows.append(
            f"<tr><td><code>{escape(key)}</code></td><td>{escape(first['unit'])}</td>{''.join(cells)}</tr>"
        )
    # many scenarios' columns: smaller type, and a long value may break anywhere to fit the page
    many = " class='many'" if len(scenarios) > 3 else ""
    corr = [sc for sc in scenarios if sc.correlation_variables]
    extra = ""
    if corr:
        items = "".join(
            f"<li>{escape(sc.name)}: {escape(', '.join(sc.correlation_variables))} &mdash; "
            f"{escape(str([list(r) for r in sc.correlation_matrix]))}</li>"
            for sc in corr
        )
        extra = f"<p>Rank correlations:</p><ul>{items}</ul>"
    return f"<p>Cells that differ from <b>{escape(scenarios[0].name)}</b> are highlighted.</p><table{many}>{head}{''.join(rows)}</table>{extra}"


def _figure(path: Path, caption: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (
        f"<figure><img alt='{escape(caption)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def render_report(
    *,
    title: str,
    scenarios: list[Scenario],
    runs: list[dict],
    odds: pd.DataFrame,
    figures: list[tuple[Path, str]],
    with_difference: bool,
    notes: str = "",
    events: list[dict] | None = None,
) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    runs : list of dict
        Per scenario: ``name``, ``paths``, ``seed``, ``sha256``.
    odds : DataFrame
        Columns ``scenario, name, index, threshold, probability, ci_low, ci_high`` and, with
        ``with_difference``, ``difference, difference_ci_low, difference_ci_high``.
    figures : list of (png path, caption)
    events : list of dict, optional
        One per scenario and event: ``scenario``, ``event``, ``label``, the estimate's fields,
        the twin's (``no_bubble_probability``, ``ai_effect`` ...), with ``with_difference`` the
        paired ``difference`` to the first scenario, and ``reference`` (others' forecasts).
    """
    names = [sc.name for sc in scenarios]
    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    run_rows = "".join(
        f"<tr><td>{escape(r['name'])}</td><td class='num'>{r['paths']:,}</td><td class='num'>{r['seed']}</td>"
        f"<td><code>{escape(r['sha256'][:16])}</code></td><td>{escape(r.get('description', ''))}</td></tr>"
        for r in runs
    )
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p class='meta'>bubblesim {escape(__version__)} &middot; {when} &middot; probabilities within each "
        f"scenario's horizon, with 95% Wilson intervals{escape(notes)}</p>",
        "<table><tr><th>scenario</th><th>paths</th><th>seed</th><th>scenario sha256</th><th>description</th></tr>",
        run_rows,
        "</table>",
        "<h2>Odds of a correction</h2>",
        _odds_table(odds, names, with_difference),
    ]
    if "no_bubble_probability" in odds.columns:
        body.append(
            "<p class='meta'>Under each market probability: <b>history</b>, the share of all windows "
            "of the same number of months in which the US market (monthly total return 1926-2018) had "
            "the same event, with a 95% interval from a block bootstrap whose block is the window (the "
            "overlapping windows hold only a few independent ones); <b>no bubble</b>, the same scenario, paths and seed with the AI channels "
            "off; and what the AI dynamics add, with a paired 95% interval.</p>"
        )
    if with_difference:
        body.append(
            "<p class='meta'>Differences are measured path by path on common random numbers (every scenario "
            "sees the same shocks), which makes their intervals much narrower than those of independent runs.</p>"
        )
    if events:
        body += [
            "<h2>Events</h2>",
            "<p class='meta'>The scenario's own questions ([[events]]), each with bubblesim's "
            "probability and 95% interval. Beside them, the probabilities others published for a "
            "matching public question: forecasts, not data, and never an input; their event "
            "definitions and dates differ from the model's in ways each entry's note says.</p>",
            _events_table(events, with_difference, names[0]),
        ]
    body.append("<h2>Figures</h2>")
    body += [_figure(p, c) for p, c in figures]
    body += ["<h2>Assumptions side by side</h2>", _assumptions_table(scenarios)]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(title)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )
