"""The statistical-disclosure rule (``gridwatch.disclosure``): hand-worked tables and properties
over many random ones."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from gridwatch.disclosure import (
    PERSONAL_COUNTS,
    Suppressed,
    label,
    shading_class,
    suppress,
    suppress_total,
)
from gridwatch.filters import Filters
from gridwatch.metrics import grid_table

T = 5
L = "<5"


def township_table() -> pd.DataFrame:
    """Four townships, written out so every expectation below can be checked by hand.

    The rows are deliberately not in code order (complement ties go by code, not by row).
    """
    rows = [
        # code, township, households, home_isolation, leads_total, open_leads
        ("A3", "A", 40, 3, 6, 0),   # A/home_isolation: the only small cell -> complement A2 (6)
        ("A1", "A", 12, 0, 2, 0),   # A/leads_total: 2 and 1 hidden, residual 3: not pinned
        ("A2", "A", 35, 6, 1, 0),
        ("A4", "A", 50, 9, 7, 0),
        ("B2", "B", 30, 3, 8, 2),   # B/home_isolation: 3 alone; 8 and 8 tie -> B1 (lower code)
        ("B1", "B", 33, 8, 8, 0),   # B/open_leads: 2 alone, no other non-zero cell -> total
        ("B3", "B", 31, 8, 0, 0),
        ("C1", "C", 3, 1, 1, 1),    # C/households: 3 alone -> complement C2 (20)
        ("C2", "C", 20, 1, 5, 0),   # C/home_isolation: 1 and 1 (residual 2 pins both) -> C3 too
        ("C3", "C", 25, 7, 9, 0),   # C/leads_total: 1 and a complement of exactly 5 pin the 1
        ("D1", "D", 4, 4, 0, 0),    # D/households: 4 and 4 (residual 8 pins both) -> D3 too
        ("D2", "D", 4, 0, 0, 0),    # D/home_isolation: 4 alone, only zeros left -> total
        ("D3", "D", 10, 0, 0, 0),
    ]
    return pd.DataFrame(rows, columns=["code", "township_code", *PERSONAL_COUNTS])


def hidden(result: Suppressed, column: str) -> list[str]:
    """The codes whose ``column`` shows the label, in code order."""
    shown = result.table[column]
    return sorted(result.table.loc[shown.map(lambda v: v == L), "code"])


# --- hand-worked --------------------------------------------------------------------------------


def test_label_names_the_threshold():
    assert label(5) == "<5"
    assert label(10) == "<10"


def test_each_cell_of_the_literal_table():
    result = suppress(township_table(), protect=None, threshold=T)
    assert hidden(result, "households") == ["C1", "C2", "D1", "D2", "D3"]
    assert hidden(result, "home_isolation") == ["A2", "A3", "B1", "B2", "C1", "C2", "C3", "D1"]
    assert hidden(result, "leads_total") == ["A1", "A2", "C1", "C2", "C3"]
    assert hidden(result, "open_leads") == ["B2", "C1"]
    assert result.hidden_totals == frozenset({
        ("B", "open_leads"), ("C", "open_leads"), ("D", "home_isolation")})


def test_complements_are_the_cells_hidden_only_to_protect_another():
    result = suppress(township_table(), protect=None, threshold=T)
    codes = result.table["code"]
    complementary = {(codes[row], column) for row, column in result.complementary}
    assert complementary == {
        ("C2", "households"), ("D3", "households"),
        ("A2", "home_isolation"), ("B1", "home_isolation"), ("C3", "home_isolation"),
        ("C2", "leads_total"), ("C3", "leads_total"),
    }
    everything = {(codes[row], column) for row, column in result.cells}
    labelled = {(code, column) for column in PERSONAL_COUNTS for code in hidden(result, column)}
    assert everything == labelled
    assert complementary < everything


def test_a_township_total_would_give_the_hidden_cell_away():
    """D's home isolation: total 4, the other cells 0 and 0 -> the one "<5" is 4. Hence D's total
    is hidden; and as every other township's total is shown, the county total minus theirs
    would give D's back, so the county total is hidden too."""
    result = suppress(township_table(), protect=None, threshold=T)
    assert ("D", "home_isolation") in result.hidden_totals
    assert "home_isolation" in result.hidden_overall
    # open leads: B's 2 and C's 1 are both behind hidden totals; the county total leaves 3 for
    # two cells of 1..4: (1, 2) or (2, 1), so it may be shown.
    assert {("B", "open_leads"), ("C", "open_leads")} <= result.hidden_totals
    assert "open_leads" not in result.hidden_overall
    assert result.hidden_overall == {"home_isolation"}


def test_the_grand_total_is_hidden_when_one_township_total_is():
    table = pd.DataFrame({"code": ["A1", "A2", "B1"], "township_code": ["A", "A", "B"],
                          "households": [3, 0, 40]})
    result = suppress(table, protect=None, threshold=T)
    assert result.hidden_totals == {("A", "households")}
    assert result.hidden_overall == {"households"}


def test_two_hidden_totals_each_pinned_hide_the_grand_total():
    """A's 1 and B's 1 behind hidden totals: the county total leaves 2 for two cells of 1..4."""
    table = pd.DataFrame({"code": ["A1", "B1", "C1"], "township_code": ["A", "B", "C"],
                          "households": [1, 1, 30]})
    assert suppress(table, protect=None, threshold=T).hidden_overall == {"households"}
    table["households"] = [2, 1, 30]
    assert suppress(table, protect=None, threshold=T).hidden_overall == frozenset()


def test_a_complement_tie_goes_to_the_lower_grid_code_whatever_the_row_order():
    table = pd.DataFrame({"code": ["G9", "G3", "G5", "G1"], "township_code": ["A"] * 4,
                          "households": [2, 7, 7, 8]})
    assert hidden(suppress(table, protect=None, threshold=T), "households") == ["G3", "G9"]
    table["households"] = [2, 7, 6, 8]
    assert hidden(suppress(table, protect=None, threshold=T), "households") == ["G5", "G9"]


def test_a_complement_tied_with_a_shown_cell_at_the_threshold():
    """4 hidden beside a complement of 7, with another 7 shown: the complement is at most 7 (it
    was the smallest), the 4 at most 4, residual 11 -> 4 and 7. So the second 7 goes too."""
    table = pd.DataFrame({"code": ["G1", "G2", "G3", "G4"], "township_code": ["A"] * 4,
                          "households": [4, 7, 7, 30]})
    result = suppress(table, protect=None, threshold=T)
    assert hidden(result, "households") == ["G1", "G2", "G3"]
    assert result.hidden_totals == frozenset()


def test_a_second_primary_cell_is_enough_when_the_residual_leaves_room():
    table = pd.DataFrame({"code": ["G1", "G2", "G3"], "township_code": ["A"] * 3,
                          "households": [2, 3, 9]})
    result = suppress(table, protect=None, threshold=T)
    assert hidden(result, "households") == ["G1", "G2"]
    assert result.complementary == frozenset()


def test_zero_is_shown_and_never_a_complement():
    """A hidden 0 beside a hidden 3 would leave a residual of 3 < 5: the 3 would be plain."""
    table = pd.DataFrame({"code": ["G1", "G2", "G3"], "township_code": ["A"] * 3,
                          "households": [0, 3, 0]})
    result = suppress(table, protect=None, threshold=T)
    assert result.table["households"].tolist() == [0, L, 0]
    assert result.hidden_totals == {("A", "households")}


def test_missing_values_stay_missing_and_are_never_a_complement():
    table = pd.DataFrame({"code": ["G1", "G2", "G3"], "township_code": ["A"] * 3,
                          "households": [np.nan, 3.0, 8.0]})
    values = suppress(table, protect=None, threshold=T).table["households"].tolist()
    assert np.isnan(values[0]) and values[1:] == [L, L]


# --- visible rows -------------------------------------------------------------------------------


def test_visible_rows_are_untouched_but_count_as_known():
    """A1 and A2 are the operator's own: shown in full. A3's 2 is then the township total minus
    known cells, and no protected cell is left to hide with it."""
    table = pd.DataFrame({"code": ["A1", "A2", "A3", "B1", "B2"],
                          "township_code": ["A", "A", "A", "B", "B"],
                          "households": [1, 9, 2, 3, 4]})
    protect = pd.Series([False, False, True, True, True])
    result = suppress(table, protect=protect, threshold=T)
    assert result.table["households"].tolist() == [1, 9, L, L, L]
    assert result.hidden_totals == {("A", "households")}
    assert all(row in (2, 3, 4) for row, _ in result.cells)


def test_a_visible_row_is_never_the_complement():
    table = pd.DataFrame({"code": ["A1", "A2", "A3"], "township_code": ["A"] * 3,
                          "households": [2, 6, 30]})
    protect = pd.Series([True, False, True])
    assert suppress(table, protect=protect, threshold=T).table["households"].tolist() == [
        L, 6, L]


def test_nothing_is_suppressed_when_nothing_is_protected():
    table = township_table()
    result = suppress(table, protect=pd.Series(False, index=table.index), threshold=T)
    for column in PERSONAL_COUNTS:
        assert result.table[column].tolist() == table[column].tolist()
    assert result.cells == result.hidden_totals == result.hidden_overall == frozenset()


def test_protect_none_protects_every_row():
    table = township_table()
    everyone = suppress(table, protect=pd.Series(True, index=table.index), threshold=T)
    default = suppress(table, protect=None, threshold=T)
    pd.testing.assert_frame_equal(default.table, everyone.table)
    assert default.hidden_totals == everyone.hidden_totals
    assert default.cells == everyone.cells


def test_protect_is_read_on_the_tables_index_and_missing_flags_protect():
    table = pd.DataFrame({"code": ["A1", "A2"], "township_code": ["A", "A"],
                          "households": [2, 3]}, index=[10, 20])
    protect = pd.Series([False, None], index=[10, 20], dtype=object)
    assert suppress(table, protect=protect, threshold=T).table["households"].tolist() == [2, L]
    with pytest.raises(ValueError, match="index"):
        suppress(table, protect=pd.Series([True, True]), threshold=T)
    with pytest.raises(ValueError, match="one flag per row"):
        suppress(table, protect=np.array([True]), threshold=T)


# --- the table as a whole -----------------------------------------------------------------------


def test_the_input_is_not_modified():
    table = township_table()
    before = table.copy(deep=True)
    protect = pd.Series(table["township_code"] != "A")
    suppress(table, protect=protect, threshold=T)
    pd.testing.assert_frame_equal(table, before)


def test_row_order_index_and_other_columns_are_kept():
    table = township_table().sample(frac=1, random_state=3)
    table.index = [f"r{i}" for i in range(len(table))]
    result = suppress(table, protect=None, threshold=T)
    assert list(result.table.index) == list(table.index)
    assert list(result.table.columns) == list(table.columns)
    assert result.table["code"].tolist() == table["code"].tolist()
    # the same cells as in code order, found by position in this order
    codes = table["code"].tolist()
    cells = {(codes[row], column) for row, column in result.cells}
    original = suppress(township_table(), protect=None, threshold=T)
    codes0 = township_table()["code"].tolist()
    assert cells == {(codes0[row], column) for row, column in original.cells}


def test_the_count_columns_are_always_object_dtype():
    table = pd.DataFrame({"code": ["A1"], "township_code": ["A"], "households": [40],
                          "population": [90]})
    result = suppress(table, protect=None, threshold=T)
    assert result.table["households"].dtype == object
    assert result.table["households"].tolist() == [40]
    assert isinstance(result.table["households"].iloc[0], int)
    assert result.table["population"].dtype == table["population"].dtype


def test_an_empty_table():
    table = township_table().iloc[0:0]
    result = suppress(table, protect=pd.Series(dtype=bool), threshold=T)
    assert result.table.empty and list(result.table.columns) == list(table.columns)
    assert all(result.table[c].dtype == object for c in PERSONAL_COUNTS)
    assert result.cells == result.hidden_totals == frozenset()
    assert suppress(pd.DataFrame(), protect=None, threshold=T).table.empty


def test_threshold_one_suppresses_nothing():
    table = township_table()
    result = suppress(table, protect=None, threshold=1)
    for column in PERSONAL_COUNTS:
        assert result.table[column].tolist() == table[column].tolist()
        assert result.table[column].dtype == object
    assert result.cells == result.hidden_totals == result.hidden_overall == frozenset()


def test_a_larger_threshold():
    table = pd.DataFrame({"code": ["G1", "G2", "G3"], "township_code": ["A"] * 3,
                          "households": [7, 12, 9]})
    result = suppress(table, protect=None, threshold=10)
    assert result.table["households"].tolist() == ["<10", 12, "<10"]


def test_columns_absent_from_the_table_are_ignored():
    table = township_table()[["code", "township_code", "open_leads"]]
    result = suppress(table, protect=None, threshold=T)
    assert list(result.table.columns) == ["code", "township_code", "open_leads"]
    assert hidden(result, "open_leads") == ["B2", "C1"]
    only = suppress(table, protect=None, threshold=T, columns=("households",))
    assert only.table["open_leads"].tolist() == table["open_leads"].tolist()
    assert only.cells == frozenset()


def test_another_group_column():
    table = pd.DataFrame({"code": ["G1", "G2", "G3"], "village_code": ["V1", "V1", "V2"],
                          "households": [3, 8, 2]})
    result = suppress(table, protect=None, threshold=T, group="village_code")
    assert result.table["households"].tolist() == [L, L, L]
    assert result.hidden_totals == {("V2", "households")}
    with pytest.raises(KeyError):
        suppress(table, protect=None, threshold=T)


def test_values_that_are_not_counts_are_refused():
    table = pd.DataFrame({"code": ["G1", "G2"], "township_code": ["A", "A"],
                          "households": [L, 7]})
    with pytest.raises(ValueError, match="not counts"):
        suppress(table, protect=None, threshold=T)
    table["households"] = [-1, 7]
    with pytest.raises(ValueError, match="not counts"):
        suppress(table, protect=None, threshold=T)


@pytest.mark.parametrize("threshold", [0, -3, 2.5, True, "5"])
def test_a_threshold_is_a_positive_integer(threshold):
    with pytest.raises(ValueError):
        suppress(township_table(), protect=None, threshold=threshold)
    with pytest.raises(ValueError):
        label(threshold)


# --- single aggregates and the map --------------------------------------------------------------


def test_suppress_total():
    assert suppress_total(0, T) == 0
    assert [suppress_total(v, T) for v in (1, 4)] == [L, L]
    assert suppress_total(5, T) == 5
    assert suppress_total(123, T) == 123
    assert suppress_total(3, 1) == 3


def test_shading_class():
    assert shading_class(L, T) == "suppressed"
    assert shading_class(3, T) == "suppressed"
    assert shading_class(1, T) == "suppressed"
    assert shading_class(0, T) == "value"
    assert shading_class(5, T) == "value"
    assert shading_class(np.int64(4), T) == "suppressed"
    assert shading_class(None, T) == "value"
    assert shading_class(float("nan"), T) == "value"
    assert shading_class(3, 1) == "value"


# --- properties over random tables --------------------------------------------------------------


def random_table(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series]:
    """Up to 5 townships of up to 7 grids, counts mixing zeros, small values, values at the
    threshold and larger ones (the mix that exercises ties and pinned residuals)."""
    rows = []
    for t in range(rng.integers(1, 6)):
        for g in range(rng.integers(1, 8)):
            rows.append((f"G{t}{g:02d}", f"T{t}"))
    order = rng.permutation(len(rows))
    table = pd.DataFrame([rows[i] for i in order], columns=["code", "township_code"])
    pool = np.array([0, 0, 1, 1, 2, 3, 4, 5, 5, 6, 7, 12, 40])
    for column in PERSONAL_COUNTS:
        table[column] = rng.choice(pool, size=len(rows))
    protect = pd.Series(rng.random(len(rows)) < rng.choice([0.5, 0.9, 1.0]), index=table.index)
    return table, protect


def feasible(cells: list[tuple[int, int]], residual: int) -> set[int]:
    """The sums reachable by choosing one integer in each ``(low, high)`` range, up to
    ``residual`` (a brute-force stand-in for what an attacker can rule in or out)."""
    sums = {0}
    for low, high in cells:
        sums = {s + v for s in sums for v in range(low, high + 1) if s + v <= residual}
    return sums


def pinned(cells: list[tuple[int, int, int, bool]], residual: int) -> list[int]:
    """The indices of primary cells whose value the residual and the bounds leave unique."""
    out = []
    for i, (value, low, high, primary) in enumerate(cells):
        if not primary or low == high:
            continue
        others = [(lo, hi) for j, (_, lo, hi, _) in enumerate(cells) if j != i]
        sums = feasible(others, residual)
        options = [v for v in range(low, high + 1) if residual - v in sums]
        assert value in options
        if len(options) == 1:
            out.append(i)
    return out


def attacker_view(result: Suppressed, original: pd.DataFrame, protect: pd.Series, column: str,
                  rows: list[int], threshold: int) -> tuple[list[tuple[int, int, int, bool]], int]:
    """The hidden cells of ``rows`` with the bounds someone who knows the rule gives them
    (primary 1..threshold-1; complement threshold..the smallest protected cell still shown,
    capped by the residual) and the residual (their sum: the total minus the shown cells)."""
    shown = result.table[column]
    hidden_rows = [r for r in rows if isinstance(shown.iloc[r], str)]
    residual = int(original[column].iloc[hidden_rows].sum())
    cap = min([int(shown.iloc[r]) for r in rows
               if protect.iloc[r] and not isinstance(shown.iloc[r], str) and shown.iloc[r] > 0],
              default=residual)
    cells = []
    for r in hidden_rows:
        value = int(original[column].iloc[r])
        if (r, column) in result.complementary:
            cells.append((value, threshold, min(cap, residual), False))
        else:
            cells.append((value, 1, threshold - 1, True))
    return cells, residual


@pytest.mark.parametrize("seed", range(8))
def test_no_township_total_reveals_a_single_hidden_cell(seed):
    rng = np.random.default_rng(seed)
    for _ in range(100):
        table, protect = random_table(rng)
        threshold = int(rng.choice([2, 3, 5, 6]))
        result = suppress(table, protect=protect, threshold=threshold)
        for (township, column), rows in _groups(table):
            hidden_protected = [r for r in rows if (r, column) in result.cells]
            assert all(protect.iloc[r] for r in hidden_protected)
            assert len(hidden_protected) != 1 or (township, column) in result.hidden_totals


@pytest.mark.parametrize("seed", range(8))
def test_no_total_pins_a_hidden_cell_even_knowing_the_bounds(seed):
    """Brute force, independent of the module's interval arithmetic: for every township whose
    total may be shown, and for the grand total when it may be shown, each primary hidden cell
    keeps at least two values consistent with the totals and the bounds."""
    rng = np.random.default_rng(1000 + seed)
    for _ in range(100):
        table, protect = random_table(rng)
        threshold = int(rng.choice([3, 5, 6]))
        result = suppress(table, protect=protect, threshold=threshold)
        behind_hidden_totals: dict[str, tuple[list, int]] = {}
        for (township, column), rows in _groups(table):
            cells, residual = attacker_view(result, table, protect, column, rows, threshold)
            if (township, column) in result.hidden_totals:
                acc = behind_hidden_totals.setdefault(column, ([], 0))
                behind_hidden_totals[column] = (acc[0] + cells, acc[1] + residual)
            elif cells:
                assert not pinned(cells, residual), (township, column, cells)
        for column, (cells, residual) in behind_hidden_totals.items():
            if column not in result.hidden_overall:
                assert not pinned(cells, residual), (column, cells)


@pytest.mark.parametrize("seed", range(4))
def test_suppression_changes_nothing_but_the_labelled_cells(seed):
    rng = np.random.default_rng(2000 + seed)
    for _ in range(100):
        table, protect = random_table(rng)
        threshold = int(rng.choice([1, 2, 5]))
        before = table.copy(deep=True)
        result = suppress(table, protect=protect, threshold=threshold)
        pd.testing.assert_frame_equal(table, before)
        assert list(result.table.index) == list(table.index)
        for column in PERSONAL_COUNTS:
            for r, (was, now) in enumerate(zip(table[column], result.table[column], strict=True)):
                if (r, column) in result.cells:
                    assert now == label(threshold) and protect.iloc[r]
                    assert (r, column) in result.complementary or 0 < was < threshold
                else:
                    assert now == was and not isinstance(now, str)
                    assert not (protect.iloc[r] and 0 < was < threshold)


def _groups(table: pd.DataFrame):
    """((township, column), row positions) for every township and personal column."""
    for township, frame in table.groupby("township_code", sort=True):
        rows = [table.index.get_loc(i) for i in frame.index]
        for column in PERSONAL_COUNTS:
            yield (township, column), rows


# --- on the real table --------------------------------------------------------------------------


def test_the_demo_grid_table(snap):
    table = grid_table(snap, Filters(as_of=date(2020, 2, 1)))
    result = suppress(table, protect=None, threshold=T)
    assert list(result.table.columns) == list(table.columns)
    for column in PERSONAL_COUNTS:
        values = table[column]
        small = values[(values > 0) & (values < T)].index
        assert (result.table.loc[small, column] == L).all()
        for township, frame in result.table.groupby("township_code"):
            count = int((frame[column] == L).sum())
            assert count != 1 or (township, column) in result.hidden_totals
