"""What a caller sees of household-level data, in one place for every output.

The rules are ``gridwatch.auth.policy`` (who may see household-level data where) and
``gridwatch.disclosure`` (how a figure is suppressed for those who may not); this module
applies them to the dashboard's outputs so that the table, the detail panel, the KPI tiles,
the exports and the API shape them alike. Caches hold raw figures (per snapshot, shared by
every caller); shaping happens after the cache, per request, so one role's figures never
reach another through it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from gridwatch import disclosure
from gridwatch.auth.policy import Principal, Scope, ScopeError, allows, personal_mask
from gridwatch.metrics import Kpis

SUPPRESSED_KPIS = ("open_leads", "home_isolation")
"""KPI totals of household-level counts, suppressed on their own below the threshold."""


def everywhere(who: Principal) -> bool:
    """Whether ``who`` may see household-level data in the whole region."""
    return allows(who, "personal") and (who.role == "admin" or who.scope.kind == "county")


def grid_rows(table: pd.DataFrame, who: Principal, threshold: int) -> disclosure.Suppressed:
    """Per-grid rows (with ``township_code``, ``village_code`` or not) with their personal
    counts suppressed where ``who`` may not see household-level data."""
    if "village_code" not in table and who.scope.kind == "village":
        raise ValueError("a village scope needs the rows' village_code")
    protect = ~personal_mask(who, table)
    return disclosure.suppress(table, protect=protect, threshold=threshold)


def kpis(figures: Kpis, who: Principal, threshold: int) -> Kpis:
    """The KPI figures as ``who`` may see them: household-level totals suppressed below the
    threshold unless ``who`` may see household-level data everywhere."""
    if everywhere(who):
        return figures
    return replace(figures, **{name: disclosure.suppress_total(getattr(figures, name),
                                                                threshold)
                               for name in SUPPRESSED_KPIS})


def count_text(value) -> str:
    """A count as shown: ``1,234``, or a suppression label as it is."""
    return f"{value:,}" if isinstance(value, int) else str(value)


# --- exports: a view is part of what an export is --------------------------------------------

FULL = "full"
"""The view of a caller who may see household-level data everywhere."""


def view_of(who: Principal, threshold: int) -> str:
    """The view an export is drawn for, as text kept with the export's record: ``full``, or
    the scope whose household-level data ``who`` may see (``none`` for a role without that
    right) and the threshold below which the rest is suppressed, e.g. ``none<5`` or
    ``township:330824001<5``. Two callers with one view get the same file; a recorded export
    is given again only to a caller with its view."""
    if everywhere(who):
        return FULL
    scope = str(who.scope) if allows(who, "personal") else "none"
    return f"{scope}<{threshold}"


def parse_view(view: str) -> tuple[Scope | None, int] | None:
    """``view_of``'s text → (the scope seen in full or None, threshold); None for ``full``.

    Raises ``ValueError`` for a text ``view_of`` does not make."""
    if view == FULL:
        return None
    scope_text, sep, threshold = view.rpartition("<")
    if not sep or not threshold.isdigit() or int(threshold) < 1:
        raise ValueError(f"not an export view: {view!r}")
    try:
        scope = None if scope_text == "none" else Scope.parse(scope_text)
    except ScopeError:
        raise ValueError(f"not an export view: {view!r}") from None
    return scope, int(threshold)


def view_rows(table: pd.DataFrame, view: str) -> pd.DataFrame:
    """Per-grid rows of an export drawn for ``view`` (personal counts suppressed outside the
    scope it sees in full)."""
    parsed = parse_view(view)
    if parsed is None:
        return table
    scope, threshold = parsed
    protect = pd.Series(True, index=table.index) if scope is None else ~scope.mask(table)
    return disclosure.suppress(table, protect=protect, threshold=threshold).table


def view_kpis(figures: Kpis, view: str) -> Kpis:
    """KPI figures of an export drawn for ``view``."""
    parsed = parse_view(view)
    if parsed is None:
        return figures
    return replace(figures, **{name: disclosure.suppress_total(getattr(figures, name),
                                                                parsed[1])
                               for name in SUPPRESSED_KPIS})


# --- the red proxy (gridwatch.proxy) -----------------------------------------------------------

def _towns_shaped(towns: pd.DataFrame, figures: dict, protect: np.ndarray | None,
                  threshold: int, columns) -> tuple[pd.DataFrame, dict]:
    """Township rows (``code``) and their totals with the ``protect``ed townships' ``columns``
    suppressed below ``threshold`` (complements chosen so that the totals give none away),
    and each total below it (or one the rows cannot protect) suppressed too."""
    shaped = disclosure.suppress(towns.assign(county="all"), protect=protect,
                                 threshold=threshold, columns=columns, group="county")
    hidden = {c for _, c in shaped.hidden_totals}
    out = dict(figures)
    for name in columns:
        out[name] = (disclosure.label(threshold) if name in hidden and figures[name]
                     else disclosure.suppress_total(figures[name], threshold))
    return shaped.table.drop(columns="county"), out


def _protect(who: Principal, towns: pd.DataFrame) -> np.ndarray:
    return ~personal_mask(who, towns.rename(columns={"code": "township_code"})).to_numpy()


def _view_protect(scope: Scope | None, towns: pd.DataFrame) -> np.ndarray | None:
    places = towns.rename(columns={"code": "township_code"})
    return None if scope is None else ~scope.mask(places).to_numpy()


def _proxy_shaped(towns: pd.DataFrame, figures: dict, protect: np.ndarray | None,
                  threshold: int) -> tuple[pd.DataFrame, dict]:
    """``_towns_shaped`` for ``gridwatch.proxy``: the oldest wait goes with a suppressed
    pending count."""
    from gridwatch.proxy import COUNTS

    towns, out = _towns_shaped(towns, figures, protect, threshold, COUNTS)
    if not isinstance(out["pending"], int):
        out["oldest_pending_hours"] = None
    return towns, out


def proxy_for(who: Principal, towns: pd.DataFrame, figures: dict,
              threshold: int) -> tuple[pd.DataFrame, dict]:
    """``gridwatch.proxy.by_township`` rows (``code`` is the township) and ``figures`` as
    ``who`` may see them: exact in the townships of ``who``'s household-level right, exact
    totals only for who may see them everywhere."""
    if everywhere(who):
        return towns, figures
    return _proxy_shaped(towns, figures, _protect(who, towns), threshold)


def proxy_for_view(view: str, towns: pd.DataFrame, figures: dict) -> tuple[pd.DataFrame, dict]:
    """The same for an export drawn for ``view`` (``view_of``)."""
    parsed = parse_view(view)
    if parsed is None:
        return towns, figures
    scope, threshold = parsed
    return _proxy_shaped(towns, figures, _view_protect(scope, towns), threshold)


# --- the six rings (gridwatch.rings) -----------------------------------------------------------

def rings_for(who: Principal, towns: pd.DataFrame, figures: dict,
              threshold: int) -> tuple[pd.DataFrame, dict]:
    """``gridwatch.rings.by_township`` rows and their totals as ``who`` may see them: the
    rings that count people or households (``rings.PERSONAL``) as for the red proxy."""
    from gridwatch.rings import PERSONAL

    if everywhere(who):
        return towns, figures
    return _towns_shaped(towns, figures, _protect(who, towns), threshold, PERSONAL)


def rings_for_view(view: str, towns: pd.DataFrame, figures: dict) -> tuple[pd.DataFrame, dict]:
    """The same for an export drawn for ``view``."""
    from gridwatch.rings import PERSONAL

    parsed = parse_view(view)
    if parsed is None:
        return towns, figures
    scope, threshold = parsed
    return _towns_shaped(towns, figures, _view_protect(scope, towns), threshold, PERSONAL)


def grid_counts(figures: dict, personal: bool, threshold: int, columns) -> dict:
    """One grid's figures as a caller sees them: exact with the right to its household-level
    data (``personal``), else each of ``columns`` suppressed below the threshold."""
    if personal:
        return figures
    return {k: disclosure.suppress_total(v, threshold) if k in columns else v
            for k, v in figures.items()}


def rings_of_grid(figures: dict, personal: bool, threshold: int) -> dict:
    """One grid's rings (``gridwatch.rings.for_grid``) as a caller sees them."""
    from gridwatch.rings import PERSONAL

    return grid_counts(figures, personal, threshold, PERSONAL)


def proxy_of_grid(figures: dict, personal: bool, threshold: int) -> dict:
    """One grid's red-proxy figures (``gridwatch.proxy.for_grid``) as a caller sees them."""
    from gridwatch.proxy import COUNTS

    return grid_counts(figures, personal, threshold, COUNTS)
