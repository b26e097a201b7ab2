#!/usr/bin/env bash
# Run a command against a private, throw-away PostgreSQL cluster.
#
#   scripts/with-postgres.sh COMMAND [ARGS...]
#
# The cluster lives in a new temporary folder, listens on a Unix socket in that folder only (no
# TCP port, so nothing else on the machine can reach it and two runs never collide), and is
# stopped and deleted when the command ends, however it ends. The command sees
#   GRIDWATCH_TEST_DATABASE_URL  the cluster's maintenance database (tests create their own)
#   GRIDWATCH_PG_HOST            the socket folder (for psql/pg_dump: -h "$GRIDWATCH_PG_HOST")
# PostgreSQL and PostGIS come from Debian packages (scripts/install-system-deps.sh postgres).
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` system user.
# Durability is switched off (fsync, synchronous_commit): the data is thrown away anyway.
set -euo pipefail
if (($# == 0)); then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
  [[ -x $candidate/initdb ]] && bindir=$candidate
done
if [[ -z $bindir ]]; then
  echo "PostgreSQL server binaries not found (run scripts/install-system-deps.sh postgres)" >&2
  exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/gridwatch-pg.XXXXXX")
as=()
owner=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  owner=postgres
  chown postgres: "$dir"
  as=(runuser -u postgres --)
fi
chmod 700 "$dir"
stop() {
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM
"${as[@]}" "$bindir/initdb" -D "$dir/data" -U "$owner" -A trust -E UTF8 --locale=C.UTF-8 \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off \
      -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
export GRIDWATCH_PG_HOST=$dir
export GRIDWATCH_TEST_DATABASE_URL="postgresql+psycopg://$owner@/postgres?host=$dir"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on socket $dir"
status=0
"$@" || status=$?
exit $status
