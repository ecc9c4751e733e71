"""Real price history: read a user's CSV of dates and closes.

Accepted layouts include Yahoo Finance (``Date,Open,High,Low,Close,Adj Close,Volume``), FRED
(``observation_date,SP500`` or ``DATE,NASDAQCOM``; ``.`` marks a missing day) and Stooq
(``Date,Open,High,Low,Close,Volume``). Rows whose price is missing (empty, ``null``, ``.``) are
dropped; anything else that is not a positive number is an error naming the file, row and column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["PriceFileError", "read_prices", "existing_csv"]

DATE_NAMES = ("date", "observation_date", "timestamp", "time", "day", "month")
CLOSE_NAMES = ("close", "adj close", "adj_close", "adjclose", "price", "value", "level")
MISSING = {"", "null", ".", "nan", "na", "n/a"}


class PriceFileError(ValueError):
    """A price file cannot be used; the message names the file and the column or row."""


def _find_date_column(frame: pd.DataFrame, path: Path) -> str:
    for col in frame.columns:
        if str(col).strip().lower() in DATE_NAMES:
            return col
    first = frame.columns[0]
    parsed = pd.to_datetime(frame[first].head(20), errors="coerce", format="mixed")
    if parsed.notna().all():
        return first
    raise PriceFileError(
        f"{path}: no date column found; expected a column named Date (or a first column of dates)"
    )


def _find_close_column(frame: pd.DataFrame, date_col: str, column: str | None, path: Path) -> str:
    others = [c for c in frame.columns if c != date_col]
    if column is not None:
        if column not in frame.columns:
            raise PriceFileError(
                f"{path}: --column {column!r} not found; columns are {', '.join(map(str, frame.columns))}"
            )
        return column
    lower = {str(c).strip().lower(): c for c in others}
    for name in CLOSE_NAMES:
        if name in lower:
            return lower[name]
    if len(others) == 1:
        return others[0]
    raise PriceFileError(
        f"{path}: cannot tell which column holds the closing price; pick one with --column ({', '.join(map(str, others))})"
    )


def existing_csv(path, error: type[Exception] = ValueError) -> Path:
    """``path`` as a Path if it names a file; else ``error`` with a one-line message."""
    path = Path(path)
    if not path.exists():
        raise error(f"{path}: no such file")
    if path.is_dir():
        raise error(f"{path}: is a folder; expected a CSV file")
    return path


def read_prices(path: str | Path, column: str | None = None) -> pd.Series:
    """Read a CSV of dates and closing prices into a Series indexed by date.

    Raises
    ------
    PriceFileError
        Missing file or column, unparseable dates, non-positive or non-numeric prices, unsorted or
        duplicated dates, or fewer than two prices.
    """
    path = existing_csv(path, PriceFileError)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except UnicodeDecodeError:
        raise PriceFileError(f"{path}: is not UTF-8 text") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PriceFileError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if frame.empty or len(frame.columns) < 2:
        raise PriceFileError(
            f"{path}: expected at least two columns (a date and a closing price) and one row"
        )
    date_col = _find_date_column(frame, path)
    close_col = _find_close_column(frame, date_col, column, path)
    raw = frame[close_col].astype(str).str.strip()
    keep = ~raw.str.lower().isin(MISSING)
    frame, raw = frame[keep], raw[keep]
    prices = pd.to_numeric(raw.str.replace(",", "", regex=False), errors="coerce")
    bad = prices.isna()
    if bad.any():
        row = int(bad.idxmax()) + 2  # header is line 1
        raise PriceFileError(
            f"{path}: line {row}, column {close_col!r}: expected a number, got {raw[bad].iloc[0]!r}"
        )
    if (prices <= 0).any():
        row = int((prices <= 0).idxmax()) + 2
        raise PriceFileError(
            f"{path}: line {row}, column {close_col!r}: prices must be positive, got {prices[prices <= 0].iloc[0]:g}"
        )
    dates = pd.to_datetime(frame[date_col].astype(str).str.strip(), errors="coerce", format="mixed")
    if dates.isna().any():
        row = int(dates.isna().idxmax()) + 2
        raise PriceFileError(
            f"{path}: line {row}, column {date_col!r}: cannot read {frame[date_col][dates.isna()].iloc[0]!r} as a date"
        )
    if dates.duplicated().any():
        raise PriceFileError(
            f"{path}: column {date_col!r}: date {dates[dates.duplicated()].iloc[0]:%Y-%m-%d} appears twice"
        )
    if not dates.is_monotonic_increasing:
        pos = int(np.argmax(np.diff(dates.to_numpy()) < np.timedelta64(0)))
        raise PriceFileError(
            f"{path}: column {date_col!r}: dates must be in increasing order ({dates.iloc[pos + 1]:%Y-%m-%d} follows {dates.iloc[pos]:%Y-%m-%d})"
        )
    if len(prices) < 2:
        raise PriceFileError(f"{path}: expected at least two prices")
    return pd.Series(
        prices.to_numpy(dtype=float),
        index=pd.DatetimeIndex(dates.to_numpy(), name="date"),
        name=str(close_col),
    )
