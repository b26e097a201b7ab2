"""Live operations data in: validation, batch writes, tokens and audit.

- ``errors``: the error shape every rejection uses (row, field, reason).
- ``jsonsafe``: strict JSON reading (no NaN/Infinity, no duplicate keys, bounded nesting).
- ``fields``: field parsers shared by the API and file uploads.
- ``auth``: API tokens and the one place where permissions are decided.
- ``store``: write transactions (``BEGIN IMMEDIATE`` on SQLite), idempotency keys, audit rows.
- ``batches``: one batch kind per write endpoint: validate the whole batch, then apply it whole.
- ``read``: the current state and history the read endpoints answer with.
- ``tables``: CSV/XLSX files to rows, with size and archive checks.
- ``cli``: ``token create|revoke|list``.
"""
