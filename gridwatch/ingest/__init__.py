"""Live operations data in: validation, batch writes, tokens and audit.

- ``errors``: the one localised error type and the shape every rejection uses (row, field,
  reason).
- ``jsonsafe``: the one strict JSON reader (no NaN/Infinity, no duplicate keys, bounded nesting),
  for API bodies and GeoJSON files.
- ``archives``: the one zip guard (XLSX workbooks, zipped Shapefiles), capping what is really
  decompressed.
- ``fields``: field parsers shared by the API and file uploads.
- ``auth``: API tokens and the one place where permissions are decided.
- ``store``: an API write as one ``gridwatch.store.writes.write`` with its idempotency key.
- ``batches``: one batch kind per write endpoint: validate the whole batch, then apply it whole.
- ``read``: the current state and history the read endpoints answer with.
- ``tables``: CSV/XLSX files to rows, with size and archive checks.
- ``boundary_files``, ``boundaries``, ``boundary_versions``: the boundary import.
- ``cli``: ``token create|revoke|list``, ``import-boundaries``, ``boundaries list|activate``.
"""
