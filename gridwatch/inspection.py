"""Inspection and accountability (纠察督导, issue 12): the county's inspection teams and the
failures they found, by township, date and kind, and which were publicised (通报曝光), up to
an instant. The names of the people involved are household-level data: ``cases`` carries
them, and only a caller with that right for the case's township may be shown them
(``visible_names``). Pure functions on the snapshot's frames, no Dash."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from gridwatch.auth.policy import Principal, personal_mask
from gridwatch.snapshot import Snapshot
from gridwatch.store.models import INSPECTION_KINDS

KINDS = (*INSPECTION_KINDS, "other")
"""The kinds a case is counted under (``other``: a case recorded without one)."""


def cases(snap: Snapshot, instant: datetime, townships) -> pd.DataFrame:
    """The cases of ``townships`` opened before ``instant``, newest first: the store's columns
    with ``kind`` filled (``other``), ``team_zh``/``team_en`` and ``names`` (a list)."""
    c = snap.inspection_cases
    c = c[(c["opened_at"] < instant) & c["township_code"].isin(set(townships))]
    teams = snap.inspection_teams.set_index("id")
    return c.assign(
        kind=c["kind"].where(c["kind"].isin(INSPECTION_KINDS), "other"),
        team_zh=c["team_id"].map(teams["name_zh"]), team_en=c["team_id"].map(teams["name_en"]),
        names=[_names(v) for v in c["people_names"]],
    ).sort_values("opened_at", ascending=False, kind="stable")


def _names(value) -> list[str]:
    if not isinstance(value, str):
        return []
    try:
        found = json.loads(value)
    except ValueError:
        return []
    return [str(n) for n in found] if isinstance(found, list) else []


def summary(found: pd.DataFrame, teams: int) -> dict:
    """Totals of ``cases``: teams, cases, people, publicised cases and people, and cases per
    kind (every kind of ``KINDS``)."""
    public = found["publicised"].astype(bool)
    kinds = found["kind"].value_counts()
    return {"teams": teams, "cases": len(found), "people": int(found["people_involved"].sum()),
            "publicised_cases": int(public.sum()),
            "publicised_people": int(found.loc[public, "people_involved"].sum()),
            "kinds": {k: int(kinds.get(k, 0)) for k in KINDS}}


def by_township(found: pd.DataFrame) -> pd.DataFrame:
    """Per township with a case: ``code``, cases, people, publicised; the most cases first."""
    public = found["publicised"].astype(bool)
    out = pd.DataFrame({"cases": found.groupby("township_code").size(),
                        "people": found.groupby("township_code")["people_involved"].sum(),
                        "publicised": public.groupby(found["township_code"]).sum()})
    out = out.fillna(0).astype(int).rename_axis("code").reset_index()
    return out.sort_values(["cases", "code"], ascending=[False, True], kind="stable") \
        .reset_index(drop=True)


def visible_names(found: pd.DataFrame, who: Principal) -> pd.Series:
    """Per case, whether ``who`` may see the names of its people (household-level data of its
    township)."""
    return personal_mask(who, found[["township_code"]])
