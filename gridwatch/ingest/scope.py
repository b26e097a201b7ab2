"""Scope applies to writes: every row of a batch is checked against where its writer may write.

One rule, used by the write API and the ``/data`` table upload alike (``batches.submit`` runs it
inside the write, before anything is applied; the upload's preview runs it too):

- an admin, and an operator of the whole county, write anywhere;
- a row about a place is covered when ``gridwatch.auth.policy.covers`` says the writer may
  ``write`` there: a grid (risk assessments, task assignments and events, leads) by its
  township and village, a checkpoint (hourly counts) by its township (a checkpoint lies in no
  village, so a village scope never covers one), a lead's stage change by the grid of the
  stored lead;
- a row that is about no single grid or checkpoint (a township's control level, a directive,
  a task published to the county) needs the county: a township or village scope is refused.

A refused row gets the batch's row error shape (its index, the field naming the code, a
catalogue reason), the whole batch answers ``403`` and nothing is written. A kind that does
not say where its rows lie (``Where``) needs the county: a new kind is refused to narrow scopes
until it says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridwatch.auth.policy import Principal, allows, covers
from gridwatch.geo.layers import Region
from gridwatch.ingest import fields as f
from gridwatch.ingest.errors import IngestError, RowError, refuse, say
from gridwatch.store import models as m

STATUS = 403
"""What a batch with a row outside its writer's scope answers (like any other refusal of the
writer's rights; 422 stays for rows that are wrong whoever sends them)."""


@dataclass(frozen=True)
class Where:
    """Where the rows of a batch kind lie.

    ``what`` is the noun of the code (``grid``, ``checkpoint`` or ``lead`` for a place; for a
    county-wide kind the noun its refusal names), ``field`` the row's field holding the code;
    ``county`` says the rows need the county scope; ``label`` shows a county-wide row's code
    when no single field holds it (a directive's kind and number).
    """

    what: str
    field: str
    county: bool = False
    label: Callable[[dict], str] | None = None

    def code(self, row: dict) -> str:
        return self.label(row) if self.label else str(row.get(self.field))


def county_wide(what: str, field: str, label: Callable[[dict], str] | None = None) -> Where:
    """Rows that only a county-wide writer may send."""
    return Where(what, field, True, label)


GRID = Where("grid", "grid_code")
CHECKPOINT = Where("checkpoint", "checkpoint_code")
LEAD = Where("lead", "lead_code")
PLACE_KINDS = ("grid", "checkpoint", "lead")


@dataclass(frozen=True)
class Places:
    """The region's places a scope is checked against: each grid's (township, village) and each
    checkpoint's township."""

    grids: dict[str, tuple[str, str]]
    checkpoints: dict[str, str]

    @classmethod
    def of(cls, region: Region) -> Places:
        """The places of ``region`` (cached per loaded region)."""
        return _places(region)

    @classmethod
    def from_reference(cls, ref: f.Reference) -> Places:
        """What a ``Reference`` alone says: grids' townships, no villages, no checkpoints'
        townships (so a village scope, or a checkpoint under a township scope, is refused)."""
        return cls({code: (town, "") for code, town in ref.grids.items()}, {})


@lru_cache(maxsize=4)
def _places(region: Region) -> Places:
    grids = region.grids
    checkpoints = region.checkpoints
    return Places(
        grids={str(c): (str(t), str(v)) for c, t, v in zip(
            grids["code"], grids["township_code"], grids["village_code"], strict=True)},
        checkpoints=dict(zip(checkpoints["code"].astype(str),
                             checkpoints["township_code"].astype(str), strict=True)),
    )


def unlimited(principal: Principal) -> bool:
    """Whether ``principal`` writes anywhere (an admin, or a writer of the whole county)."""
    return allows(principal, "write") and (principal.role == "admin"
                                           or principal.scope.kind == "county")


def needs_places(where: Where, principal: Principal) -> bool:
    """Whether checking ``where``'s rows for ``principal`` looks at the region's places."""
    return (allows(principal, "write") and not unlimited(principal) and not where.county
            and where.what in PLACE_KINDS)


def check_scope(where: Where, rows: list[dict], principal: Principal, places: Places | None,
                session: Session | None = None, ref: f.Reference | None = None) -> None:
    """Refuse the batch (``IngestError``, 403) when a row lies outside ``principal``'s scope.

    Parameters
    ----------
    where : Where
        Where the kind's rows lie.
    rows : list of dict
        The parsed rows (``batches.validate_rows``), in the batch's order: an error's row is
        the row's index, so an upload shows it as its file line.
    principal : Principal
        The writer.
    places : Places, optional
        The region's places; when None, those of the serving app's region, else what ``ref``
        says (which covers no village and no checkpoint: a narrow scope is refused, never let
        through).
    session : Session, optional
        Where stored leads are looked up (a lead's stage change lies in the lead's grid).

    Raises
    ------
    IngestError
        403, with every row outside the scope; or 403 ``request.not_permitted`` when
        ``principal`` may not write at all.
    """
    if not allows(principal, "write"):
        raise refuse(STATUS, "request.not_permitted", "Authorization",
                     action=say("action.write"))
    if unlimited(principal):
        return
    errors = [RowError.of(i, where.field, reason) for i, reason in
              _refusals(where, rows, principal, places, session, ref)]
    if errors:
        raise IngestError(STATUS, errors)


def _refusals(where: Where, rows: list[dict], principal: Principal, places: Places | None,
              session: Session | None, ref: f.Reference | None):
    if not needs_places(where, principal):
        for i, row in enumerate(rows):
            yield i, say("request.county_only", what=say(f"noun.{where.what}"),
                         code=where.code(row))
        return
    if places is None:
        places = Places.from_reference(ref) if ref is not None else Places({}, {})
    leads = _stored_leads(session, rows) if where.what == "lead" else {}
    for i, row in enumerate(rows):
        code = row.get(where.field)
        if where.what == "grid":
            township, village = places.grids.get(code, (None, None))
        elif where.what == "checkpoint":
            township, village = places.checkpoints.get(code), None
        else:
            grid = leads.get(code)
            if grid is None:
                continue  # an unknown lead: the batch's applier says so (422)
            township, village = places.grids.get(grid, (None, None))
        if not covers(principal, "write", township or None, village or None):
            yield i, say("request.out_of_scope", what=say(f"noun.{where.what}"), code=code)


def _stored_leads(session: Session | None, rows: list[dict]) -> dict[str, str]:
    """Each stored lead of ``rows`` with its grid."""
    if session is None:
        raise ValueError("a lead's scope is its stored grid: give a session to look it up")
    codes = sorted({r["lead_code"] for r in rows if r.get("lead_code")})
    return {code: grid for code, grid in session.execute(
        select(m.Lead.code, m.Lead.grid_code).where(m.Lead.code.in_(codes)))}
