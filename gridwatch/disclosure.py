"""The statistical-disclosure rule for household-level counts (pandas only; no Dash, no Flask).

A role without the right to household-level data sees every per-grid or per-village figure in
``PERSONAL_COUNTS`` the way official statistics publish small counts:

Primary suppression
    A value ``v`` with ``0 < v < threshold`` is shown as ``label(threshold)`` (``"<5"``).

Zero is shown as ``0``
    Official practice varies: some publishers suppress zeros with the small counts (a zero can
    tell that *every* member of a group shares an attribute), most show them. Here a zero says
    that no household / person / report exists in that grid, which identifies no family, and
    "which grids are clear" is exactly what a command dashboard is for; suppressing zeros would
    also blank most of the home-isolation and open-lead cells. The price, which this module
    accounts for: ``"<5"`` tells the reader the value is 1..4, not 0..4. (So a threshold of 2
    hides nothing — ``"<2"`` can only mean 1 — and 3 is the smallest threshold that protects.)

Complementary suppression within each township (``group``)
    The UI shows township totals elsewhere, and a total minus the cells shown beside it must
    not give away a hidden cell. For each township and column: when exactly one cell is hidden,
    the next-smallest shown cell of that township is hidden too (smallest value, ties: first by
    grid code, then by row). If no cell is left to hide, the township's total for that column
    must not be shown (``Suppressed.hidden_totals``).

    Beyond that rule, the township is audited: an attacker knows the total, every shown cell,
    that a primary cell is 1..threshold-1 and (knowing this rule) that a complementary cell is
    at least ``threshold`` and at most the smallest cell still shown. If those bounds and the
    total still pin down a primary cell exactly (two hidden 1s whose residual is 2; a hidden 1
    beside a complement of exactly the threshold; two hidden 4s with threshold 5), the
    next-smallest shown cell is hidden as well, until no primary cell can be pinned down or no
    cell is left (then the total goes into ``hidden_totals``). Zero is never a complement: a
    hidden 0 beside a hidden small cell would make the residual itself < threshold, which gives
    the small cell away.

The county (or whatever ``table`` spans)
    A township whose total is hidden still leaves the grand total: the grand total minus the
    other townships' totals gives the hidden total back. The same audit over the hidden cells
    of the townships whose totals are hidden decides whether the grand total of a column may be
    shown (``Suppressed.hidden_overall``).

Rows the user may see in full (an operator's own townships or villages) are never suppressed;
they count as known when deciding whether a hidden cell can be derived. ``protect`` is the
boolean mask of rows that must be protected (``None``: all rows).

The guarantees hold for totals over exactly the rows passed in: call ``suppress`` on every row
whose township or grand total is shown (not on a filtered subset of them), and show totals
computed from the unsuppressed figures only when ``hidden_totals`` / ``hidden_overall`` allow.
Only the linear relation cell → township → grand total is considered: not relations between
columns (``open_leads <= leads_total``), not a second grouping (villages inside townships shown
at the same time), and not an attacker who reasons about why a second complement was chosen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PERSONAL_COUNTS: tuple[str, ...] = ("households", "home_isolation", "leads_total", "open_leads")
"""The per-grid counts that are household-level or personal."""


def label(threshold: int) -> str:
    """What a suppressed cell shows: ``"<5"`` for a threshold of 5."""
    _check_threshold(threshold)
    return f"<{threshold}"


@dataclass(frozen=True)
class Suppressed:
    """The outcome of ``suppress``.

    ``table``: a copy of the input whose suppressed cells hold ``label(threshold)``; the
    ``columns`` present in the input are always of object dtype (a stable schema, whether or
    not anything was suppressed). ``hidden_totals``: the (group value, column) pairs whose
    township total must not be shown. ``cells``: the (row position, column) pairs suppressed,
    primary or complementary; ``complementary``: the subset hidden only to protect another cell
    (their true value is at least the threshold, so a UI may mark them apart from ``"<5"``).
    ``hidden_overall``: the columns whose grand total over the whole table must not be shown.
    """

    table: pd.DataFrame
    hidden_totals: frozenset[tuple[str, str]]
    cells: frozenset[tuple[int, str]] = field(default_factory=frozenset)
    complementary: frozenset[tuple[int, str]] = field(default_factory=frozenset)
    hidden_overall: frozenset[str] = field(default_factory=frozenset)


def suppress(table: pd.DataFrame, *, protect: pd.Series | None, threshold: int,
             columns: Sequence[str] = PERSONAL_COUNTS, group: str = "township_code",
             key: str = "code") -> Suppressed:
    """``table`` as a user without household-level rights may see it (see the module doc).

    ``protect``: a boolean Series on ``table``'s index (or an array in row order), true for
    the rows that must be protected; ``None`` protects every row; a missing value protects.
    ``columns``: the counts to protect; those absent from ``table`` are ignored. ``group``:
    the column whose totals are shown (the township). ``key``: the column that breaks ties when
    choosing a complement (the grid code; row order if absent). The input is never modified;
    row order and index are kept. Counts must be non-negative integers (or missing, which is
    shown as it is and never chosen as a complement).
    """
    _check_threshold(threshold)
    out = table.copy()
    present = [c for c in dict.fromkeys(columns) if c in table.columns]
    for column in present:
        out[column] = out[column].astype(object)
    guard = _protect_mask(protect, table)
    if not present or table.empty or threshold == 1:
        return Suppressed(out, frozenset())
    if group not in table.columns:
        raise KeyError(f"no group column {group!r} to take township totals over")

    groups = table[group].to_numpy(dtype=object)
    group_ids, _ = pd.factorize(table[group], use_na_sentinel=False)
    members = [np.flatnonzero(group_ids == gid) for gid in range(group_ids.max() + 1)]
    ties = (table[key].astype(str).to_numpy() if key in table.columns
            else np.zeros(len(table), dtype=object))

    mark = label(threshold)
    hidden_totals: set[tuple[str, str]] = set()
    cells: set[tuple[int, str]] = set()
    complementary: set[tuple[int, str]] = set()
    hidden_overall: set[str] = set()
    for column in present:
        values = _counts(table[column])
        primary = guard & (values > 0) & (values < threshold)
        chosen: list[int] = []
        unknown: list[_Hidden] = []  # the hidden cells of townships whose total is hidden
        for rows in members:
            hidden = rows[primary[rows]]
            if hidden.size == 0:
                continue
            candidates = sorted((r for r in rows if guard[r] and not primary[r] and values[r] > 0),
                                key=lambda r: (values[r], ties[r], r))
            complements: list[int] = []
            while True:
                cap = values[candidates[0]] if candidates else math.inf
                state = _hidden(values, hidden, complements, threshold, cap)
                if not _discloses(state):
                    break
                if not candidates:
                    hidden_totals.add((groups[rows[0]], column))
                    unknown.extend(state)
                    break
                complements.append(candidates.pop(0))
            chosen.extend(complements)
            cells.update((int(r), column) for r in hidden)
        if unknown and _discloses(unknown):
            hidden_overall.add(column)
        cells.update((int(r), column) for r in chosen)
        complementary.update((int(r), column) for r in chosen)
        rows_out = np.flatnonzero(primary).tolist() + chosen
        if rows_out:
            out.iloc[sorted(rows_out), out.columns.get_loc(column)] = mark
    return Suppressed(out, frozenset(hidden_totals), frozenset(cells), frozenset(complementary),
                      frozenset(hidden_overall))


def suppress_total(value: int, threshold: int) -> int | str:
    """A single aggregate shown on its own (a township or county total): the label when
    ``0 < value < threshold``, else the value."""
    _check_threshold(threshold)
    return label(threshold) if 0 < value < threshold else value


def shading_class(value, threshold: int) -> str:
    """The class of a map area shaded by a count: ``"suppressed"`` for a suppressed cell (a
    label string) or ``0 < value < threshold``, else ``"value"``. A missing value is a
    ``"value"`` (the map's no-data styling applies)."""
    _check_threshold(threshold)
    if isinstance(value, str):
        return "suppressed"
    if value is None or pd.isna(value):
        return "value"
    return "suppressed" if 0 < value < threshold else "value"


# --- the parts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hidden:
    """A hidden cell: its true value and the bounds an attacker knows it lies within."""

    value: float
    low: float
    high: float
    primary: bool


def _hidden(values: np.ndarray, primary: np.ndarray, complements: list[int], threshold: int,
            cap: float) -> list[_Hidden]:
    """The hidden cells of one township: primary ones within 1..threshold-1, complements within
    threshold..cap (each complement is no larger than the smallest cell still shown)."""
    return ([_Hidden(values[r], 1, threshold - 1, True) for r in primary]
            + [_Hidden(values[r], threshold, cap, False) for r in complements])


def _discloses(cells: list[_Hidden]) -> bool:
    """Whether the sum of ``cells`` with their bounds pins a primary cell to its value.

    A single hidden cell always is (the total gives it). Otherwise a cell is pinned when it can
    go neither down (it is at its lower bound, or no other cell can go up to make up for it)
    nor up (it is at its upper bound, or no other cell can go down). A primary cell whose
    own bounds already pin it (threshold 2) is not the total's doing and is left out.
    """
    if len(cells) == 1:
        return True
    room_up = sum(c.high - c.value for c in cells)
    room_down = sum(c.value - c.low for c in cells)
    for c in cells:
        if not c.primary or c.low == c.high:
            continue
        up = room_up - (c.high - c.value)  # how far the other cells can go up
        down = room_down - (c.value - c.low)  # ... and down
        if (c.value == c.low or up == 0) and (c.value == c.high or down == 0):
            return True
    return False


def _counts(series: pd.Series) -> np.ndarray:
    """A count column as floats (missing as NaN); anything but non-negative integers is an
    error (a column that is already suppressed, a typo'd column)."""
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = (np.isnan(values) & series.notna().to_numpy()) | (values < 0) | (values % 1 > 0)
    if bad.any():
        raise ValueError(f"column {series.name!r} holds values that are not counts: "
                         f"{series[bad].unique()[:3].tolist()}")
    return values


def _protect_mask(protect, table: pd.DataFrame) -> np.ndarray:
    """``protect`` as a boolean array in row order (missing values protect)."""
    if protect is None:
        return np.ones(len(table), dtype=bool)
    if isinstance(protect, pd.Series):
        if not protect.index.equals(table.index):
            raise ValueError("protect must have the table's index")
        protect = protect.to_numpy(dtype=object)
    mask = np.asarray(protect, dtype=object)
    if mask.shape != (len(table),):
        raise ValueError("protect must give one flag per row of the table")
    return np.array([True if flag is None or pd.isna(flag) else bool(flag) for flag in mask],
                    dtype=bool)


def _check_threshold(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer) \
            or threshold < 1:
        raise ValueError(f"a suppression threshold is an integer of at least 1, not {threshold!r}")
