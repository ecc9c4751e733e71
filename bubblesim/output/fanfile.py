"""Redraw a fan chart from a finished run's files (``bubblesim fan``), without simulating."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pandas as pd

from ..engine.model import STATE_VARIABLES
from .plots import _LABELS, LOG_SCALE_VARIABLES, SAVE_DPI, _pyplot, fan_figure

__all__ = ["draw_fan_from_folder"]

_INDEX_OF = {"ai_index": "ai", "market": "market"}


def draw_fan_from_folder(
    result_dir: str | Path, variable: str, *, log: bool | None = None, out: str | Path | None = None
) -> Path:
    """Draw the fan chart of ``variable`` from ``result_dir/quantiles.csv`` and save it.

    Raises
    ------
    FileNotFoundError
        The folder or its quantiles.csv is missing.
    ValueError
        Unknown variable, malformed CSV or unsupported figure format.
    """
    folder = Path(result_dir)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder}: no such folder; expected the output folder of `bubblesim run`"
        )
    qfile = folder / "quantiles.csv"
    if not qfile.exists():
        raise FileNotFoundError(
            f"{qfile}: not found; expected the output folder of `bubblesim run`"
        )
    try:
        table = pd.read_csv(qfile)
    except Exception as exc:  # pandas raises many kinds for a broken file
        raise ValueError(f"{qfile}: cannot be read as CSV ({exc})") from None
    if list(table.columns) != ["variable", "date", "quantile", "value"]:
        raise ValueError(f"{qfile}: expected the columns variable,date,quantile,value")
    known = list(dict.fromkeys(table["variable"]))
    if variable not in known:
        close = difflib.get_close_matches(variable, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "expected one of " + ", ".join(known)
        raise ValueError(f"--variable: {variable!r} is not in {qfile}; {hint}")
    out_path = Path(out) if out is not None else folder / f"fan_{variable}.png"
    if out_path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ValueError(f"--out: {out_path}: expected a .png, .svg or .pdf file name")
    sub = table[table["variable"] == variable]
    q = sub.pivot(index="date", columns="quantile", values="value")
    q.index = pd.DatetimeIndex(pd.to_datetime(q.index), name="date")
    q.columns = [float(c) for c in q.columns]
    needed = {0.05, 0.15, 0.25, 0.35, 0.45, 0.5, 0.55, 0.65, 0.75, 0.85, 0.95}
    missing = sorted(needed - set(round(c, 4) for c in q.columns))
    if missing:
        raise ValueError(f"{qfile}: quantiles {missing} of {variable} are missing")
    q.columns = [round(c, 4) for c in q.columns]

    summary = {}
    sfile = folder / "summary.json"
    if sfile.exists():
        try:
            summary = json.loads(sfile.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            summary = {}
    cumulative = None
    cfile = folder / "correction_by_date.csv"
    if variable in _INDEX_OF and cfile.exists():
        c = pd.read_csv(cfile, parse_dates=["date"])
        c = c[c["index"] == _INDEX_OF[variable]]
        cumulative = {t: g.reset_index(drop=True) for t, g in c.groupby("threshold")}
    unit, description = STATE_VARIABLES.get(variable, ("", variable))
    name = summary.get("scenario", folder.name)
    caption = (
        f"scenario {name} · {summary.get('paths', '?'):,} paths · seed {summary.get('seed', '?')} · "
        f"{summary.get('steps_per_year', '?')} steps/year · bubblesim {summary.get('version', '?')} · "
        "bands 5-95, 15-85, 25-75, 35-65, 45-55% · redrawn from quantiles.csv"
        if isinstance(summary.get("paths"), int)
        else f"{folder} · redrawn from quantiles.csv"
    )
    fig = fan_figure(
        q,
        title=f"{_LABELS.get(variable, description)}: {name}",
        caption=caption,
        ylabel=f"{description} [{unit}]" if unit else description,
        log=(variable in LOG_SCALE_VARIABLES) if log is None else log,
        cumulative=cumulative,
        variable=variable,
        for_file=True,
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.tmp{out_path.suffix}")
    try:
        fig.savefig(tmp, dpi=SAVE_DPI)
        os.replace(tmp, out_path)
    finally:
        _pyplot().close(fig)
        if tmp.exists():
            tmp.unlink()
    return out_path
