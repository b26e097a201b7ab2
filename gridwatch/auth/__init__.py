"""Trust: who may see and do what (no Flask, no Dash).

- ``policy``: roles, scopes, ``Principal`` and the one permission rule (``allows``, ``covers``,
  ``personal_mask``).
- ``accounts``: users, argon2 passwords, logging in with a lockout shared through the store.
- ``sessions``: login sessions and kiosks (a wall display's standing access).
- ``tokens``: API tokens, each with a role and a scope.
- ``audit``: reads of household-level data and exports, audited.
- ``cli``: ``python -m gridwatch user|kiosk ...``.
"""
