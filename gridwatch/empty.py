"""An empty region: a store whose region has no history yet (a new region just imported, or
a store made by ``init-store`` without the demo).

Every screen, the wall and every export ask ``no_history`` and then say "no data yet" (with
how to send records: an upload on ``/data``, the write API, or ``python -m gridwatch
simulate`` for a demo history) instead of drawing zeros, a day that does not exist or an empty
chart with a made-up axis.
"""

from __future__ import annotations

from gridwatch.snapshot import TABLES, Snapshot


def no_history(snap: Snapshot) -> bool:
    """True when the snapshot holds no record of any kind (no risk mark, level change,
    order, task, checkpoint count, lead, ring count, red-proxy request or inspection)."""
    return all(len(getattr(snap, name)) == 0 for name in TABLES)
