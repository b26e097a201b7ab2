"""Who may do what: roles, scopes and the one permission rule (no Flask, no Dash).

Roles, from least to most trusted:

- ``viewer``: the wall and aggregates (colours, levels, totals); per-grid personal counts are
  suppressed below the threshold; no exports, no records.
- ``analyst``: every view and export; records (tasks, leads, audit-free) with their personal
  fields removed, so a figure can still be traced to its rows; personal counts suppressed.
- ``operator``: writes, uploads and household-level detail, within a *scope*.
- ``admin``: everything, everywhere, plus users, tokens, kiosks and boundary imports.

A scope is the whole county, a set of townships or a set of villages (``Scope``). It limits
where an operator may write and whose household-level data anyone sees. A kiosk is a wall
display: viewer rights, the wall only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

ROLES = ("viewer", "analyst", "operator", "admin")
"""The roles, least trusted first."""

SCOPE_KINDS = ("county", "township", "village")

ACTIONS: dict[str, frozenset[str]] = {
    "wall": frozenset(ROLES),
    "view": frozenset(ROLES),
    "export": frozenset({"analyst", "operator", "admin"}),
    "records": frozenset({"analyst", "operator", "admin"}),
    "personal": frozenset({"operator", "admin"}),
    "write": frozenset({"operator", "admin"}),
    "admin": frozenset({"admin"}),
}
"""Which roles may do each action. ``personal`` and ``write`` are further limited by scope."""

KIOSK_ACTIONS = frozenset({"wall"})
"""A kiosk (a wall display's standing access) has viewer rights on the wall only."""


class ScopeError(ValueError):
    """A scope that cannot be used (unknown kind, no codes, a code not in the region)."""


@dataclass(frozen=True)
class Scope:
    """Where a principal may act: the ``county``, or a set of ``township`` or ``village`` codes."""

    kind: str = "county"
    codes: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.kind not in SCOPE_KINDS:
            raise ScopeError(f"unknown scope {self.kind!r} (county, township or village)")
        if (self.kind == "county") != (not self.codes):
            raise ScopeError("a township or village scope needs codes; the county takes none")

    @classmethod
    def parse(cls, text: str | None) -> Scope:
        """``county``, ``township:CODE,CODE`` or ``village:CODE,...`` (as stored)."""
        kind, _, codes = (text or "county").partition(":")
        return cls(kind.strip(), frozenset(c.strip() for c in codes.split(",") if c.strip()))

    @classmethod
    def of(cls, townships: Iterable[str] = (), villages: Iterable[str] = (),
           county: bool = False) -> Scope:
        """The scope a command line gives: exactly one of county, townships, villages."""
        townships, villages = frozenset(townships), frozenset(villages)
        if sum((county, bool(townships), bool(villages))) != 1:
            raise ScopeError("give exactly one of --county, --township CODE ..., "
                             "--village CODE ...")
        if county:
            return cls()
        return cls("township", townships) if townships else cls("village", villages)

    def __str__(self) -> str:
        return self.kind if self.kind == "county" else f"{self.kind}:{','.join(sorted(self.codes))}"

    def covers(self, township_code: str | None = None, village_code: str | None = None) -> bool:
        """Whether a place (its township and, for a village scope, its village) is inside."""
        if self.kind == "county":
            return True
        if self.kind == "township":
            return township_code in self.codes
        return village_code in self.codes

    def mask(self, places: pd.DataFrame) -> pd.Series:
        """Row by row, whether ``places`` (with ``township_code``, ``village_code``) is inside."""
        if self.kind == "county":
            return pd.Series(True, index=places.index)
        column = "township_code" if self.kind == "township" else "village_code"
        if column not in places:
            return pd.Series(False, index=places.index)
        return places[column].astype(str).isin(self.codes)

    def check(self, townships: Iterable[str], villages: Iterable[str]) -> None:
        """Raise ``ScopeError`` when a code is not one of the region's."""
        known = set(townships) if self.kind == "township" else set(villages)
        unknown = sorted(self.codes - known)
        if unknown:
            raise ScopeError(f"no {self.kind} {', '.join(unknown)} in the region")


COUNTY = Scope()


@dataclass(frozen=True)
class Principal:
    """Who is asking: a ``user``, ``kiosk`` or API ``token``, or ``anonymous``.

    ``session`` is the digest of the login session the request came with (for logout).
    """

    kind: str
    role: str = ""
    scope: Scope = COUNTY
    id: int | None = None
    name: str = ""
    session: str | None = None

    @property
    def actor(self) -> str:
        """What the audit log records."""
        return "anonymous" if self.kind == "anonymous" else f"{self.kind}:{self.id}:{self.name}"

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"


ANONYMOUS = Principal("anonymous")


def system(role: str = "admin", name: str = "system", scope: Scope = COUNTY) -> Principal:
    """A principal for the command line and for tests: acts as ``role`` without logging in."""
    return Principal("system", role, scope, 0, name)


def audience(principal: Principal) -> Principal:
    """What an answer shaped for ``principal`` depends on (its kind, role and scope: what
    ``allows``, ``covers`` and ``personal_mask`` read), without who it is: the key under which
    one answer is shared by everyone alike."""
    return Principal(principal.kind, principal.role, principal.scope)


def allows(principal: Principal, action: str) -> bool:
    """Whether ``principal`` may perform ``action`` (one of ``ACTIONS``) somewhere.

    For ``personal`` and ``write`` this says whether it may in some place; ``covers`` and
    ``personal_mask`` say where.
    """
    if principal.kind == "anonymous" or action not in ACTIONS:
        return False
    if principal.kind == "kiosk" and action not in KIOSK_ACTIONS:
        return False
    return principal.role in ACTIONS[action]


def covers(principal: Principal, action: str, township_code: str | None = None,
           village_code: str | None = None) -> bool:
    """Whether ``principal`` may perform ``action`` on one place (scope applied)."""
    if not allows(principal, action):
        return False
    if principal.role == "admin":
        return True
    return principal.scope.covers(township_code, village_code)


def personal_mask(principal: Principal, places: pd.DataFrame) -> pd.Series:
    """Row by row, whether ``principal`` may see the household-level data of ``places``
    (a table with ``township_code`` and, for village scopes, ``village_code``)."""
    if not allows(principal, "personal"):
        return pd.Series(False, index=places.index)
    if principal.role == "admin":
        return pd.Series(True, index=places.index)
    return principal.scope.mask(places)
