"""The wall catches up with a write that lands between its read and its refresh.

The wall remembers the data version it drew (``seen["version"]``) and refreshes when
``/healthz`` reports another one. If it remembered the version of the store *after* drawing, a
write landing in between would be labelled as shown, and the wall would stay stale until some
later write.
"""

from __future__ import annotations

from datetime import datetime

from dash import no_update

from callbacks.wall import REFRESH_OUTPUTS, refresh, refresh_wall
from gridwatch.snapshot import Snapshot
from gridwatch.store import models as m
from gridwatch.store.writes import write_session
from gridwatch.timeutil import local_to_utc
from tests.unit.literal import G1, G5


class WritesAfterTheRead:
    """A data source that lets one write commit right after the wall took its snapshot."""

    def __init__(self, source, grid_code: str) -> None:
        self.source, self.grid_code = source, grid_code
        self.settings = source.settings
        self.writes = 0

    def region(self):
        return self.source.region()

    def snapshot(self) -> Snapshot:
        snap = self.source.snapshot()
        if self.writes == 0:
            observed = local_to_utc(datetime(2020, 2, 29, 22, 30), self.settings.timezone)
            with write_session(self.source.engine) as s:
                s.add(m.RiskAssessment(grid_code=self.grid_code, colour="red",
                                       observed_at=observed, recorded_at=observed,
                                       source="between-read-and-refresh"))
            self.writes += 1
        return snap


def colour_on_wall(out: dict, k: int) -> str:
    return out["grids"]["c"][k]


def test_a_write_between_read_and_refresh_is_shown_on_the_next_poll(fresh_source):
    before = fresh_source.snapshot()
    status = before.risk.sort_values("observed_at").groupby("grid_code")["colour"].last()
    grid = sorted(status.index[status == "green"])[0]
    k = sorted(before.region.grids["code"]).index(grid)
    source = WritesAfterTheRead(fresh_source, grid)

    # The first poll: the wall draws the store as it was; the write commits meanwhile.
    first = refresh_wall(source, health={"version": before.version}, seen={}, lang="zh")
    after = fresh_source.snapshot().version
    assert source.writes == 1 and after != before.version
    assert colour_on_wall(first, k) == "4"  # still green: the data it drew
    assert first["seen"]["version"] == before.version  # ... and it says so

    # The next poll reports the new version: the wall refreshes and shows the red grid.
    second = refresh_wall(source, health={"version": after}, seen=first["seen"], lang="zh")
    assert colour_on_wall(second, k) == "0"
    assert second["seen"]["version"] == after
    assert [(c["code"], c["before"], c["after"]) for c in second["seen"]["live"]] == [
        (grid, "green", "red")]
    assert source.writes == 1, "no second write was needed"
    # A grid turned red: the wall is in its alarm state, naming the township.
    assert first["alarm_hidden"] is True and first["alarm"] == []
    township = before.region.grids.set_index("code").loc[grid, "township_code"]
    name = before.region.names("townships", "zh")[township]
    assert second["alarm_hidden"] is False
    assert _text(second["alarm"]) == f"▲新增红色网格 1 个{name} 1 个"

    # And it stays put until something else changes.
    third = refresh_wall(source, health={"version": after}, seen=second["seen"], lang="zh")
    assert third == dict.fromkeys(REFRESH_OUTPUTS, no_update)


def test_the_wall_pulses_the_grids_that_changed_since_it_last_drew(literal, lsnap):
    """On the literal county the wall shows D3; it last drew D2's picture ("03-34")."""
    out = refresh(literal, seen={"c": "03-34", "version": "earlier", "live": []}, lang="en",
                  now_ms=1_000)
    assert out["seen"]["c"] == "13-32" and out["seen"]["version"] == lsnap.version
    keep = literal.settings.wall_highlight_seconds * 1000
    # G1 red → orange is safer, G5 green → yellow riskier; in grid order
    assert [(c["code"], c["before"], c["after"], c["direction"], c["until"])
            for c in out["seen"]["live"]] == [(G1, "red", "orange", -1, 1_000 + keep),
                                              (G5, "green", "yellow", 1, 1_000 + keep)]
    assert out["styles"]["grids"]["hl"] == {"0": {"until": 1_000 + keep, "dir": -1},
                                            "4": {"until": 1_000 + keep, "dir": 1}}
    # a later refresh with nothing new keeps them until their time is up, then drops them
    again = refresh(literal, seen=out["seen"], lang="en", now_ms=1_000 + keep - 1)
    assert [c["code"] for c in again["seen"]["live"]] == [G1, G5]
    later = refresh(literal, seen=out["seen"], lang="en", now_ms=1_000 + keep)
    assert later["seen"]["live"] == []


def _text(children) -> str:
    """The text of Dash components, depth first."""
    if isinstance(children, str):
        return children
    if isinstance(children, list):
        return "".join(_text(c) for c in children)
    return _text(getattr(children, "children", None) or "")


def test_the_alarm_counts_new_red_grids_per_township_until_their_time_is_up():
    from layouts.wall import alarm

    live = [{"code": "g1", "township_code": "A", "after": "red", "direction": 1},
            {"code": "g2", "township_code": "B", "after": "red", "direction": 1},
            {"code": "g3", "township_code": "B", "after": "red", "direction": 1},
            {"code": "g4", "township_code": "A", "after": "orange", "direction": 1},
            {"code": "g5", "township_code": "A", "after": "orange", "direction": -1}]
    children, hidden = alarm(live, {"A": "Dongling", "B": "Xixi"}, "en")
    assert not hidden
    assert _text(children) == "▲3 grids turned redXixi 2 · Dongling 1"
    assert alarm(live[3:], {}, "en") == ([], True)  # orange, or safer: no alarm
    assert alarm([], {}, "zh") == ([], True)
