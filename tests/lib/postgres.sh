# A real PostgreSQL 15 for one test script, sourced after harness.sh:
#   pg_start      initdb + pg_ctl on a fresh folder (as the unprivileged user `nobody` when
#                 run as root: initdb refuses root), listening on a unix socket only (no
#                 port to collide on), stopped and removed on exit; bounded: 30 s to start.
#   PG_CONNINFO   libpq settings for its database `gk` (superuser gk, trust on the socket)
#   PG_URL        the same as a postgresql:// URI (what gate-upstream --store takes)
#   pg_sql SQL    runs SQL there with psql, unaligned rows
# One server per script (not per case): initdb + start take ~1 s; each case that wants a
# clean slate makes a database or schema of its own.
PG_BIN=${GK_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=
pg_as() { (cd / && if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi); }
pg_stop() {
  [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] &&
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -t 10 -w stop >/dev/null 2>&1
  [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
  PG_DIR=
}
pg_start() {
  [ -x "$PG_BIN/initdb" ] || fail "no PostgreSQL 15 in $PG_BIN (tools/setup.sh installs postgresql-15)"
  # Outside $T: the server's user must own its folder and reach it.
  PG_DIR=$(mktemp -d /tmp/gk-pg.XXXXXX)
  CLEANUP+=(pg_stop)
  [ "$(id -u)" = 0 ] && chown nobody: "$PG_DIR"
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U gk -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$PG_DIR/initdb.log" 2>&1 || fail "initdb: $(tail -3 "$PG_DIR/initdb.log")"
  # fsync stays on: what the tests and benchmarks see is what a deployment sees.
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -t 30 -w \
    -o "-k $PG_DIR -c listen_addresses= -p 5432 -c max_connections=200" start >/dev/null ||
    fail "pg_ctl start: $(tail -3 "$PG_DIR/server.log")"
  PG_CONNINFO="host=$PG_DIR port=5432 user=gk dbname=gk"
  PG_URL="postgresql://gk@/gk?host=$PG_DIR&port=5432"
  "$PG_BIN/createdb" -h "$PG_DIR" -p 5432 -U gk gk || fail "createdb"
}
pg_sql() { psql -X -q -A -t -h "$PG_DIR" -p 5432 -U gk -d gk -v ON_ERROR_STOP=1 -c "$1"; }
