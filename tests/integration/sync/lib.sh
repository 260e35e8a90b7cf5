# Shared set-up for the sync integration tests: an upstream (gate-upstream), a fault proxy
# in front of it, an issuer, a registered kiosk and its config. Sourced, not run.
# GK_UPSTREAM_STORE=postgresql: the upstream's store is a real PostgreSQL 15 this script
# starts (tests/lib/postgres.sh); else the default SQLite file in up/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/postgres.sh"
fail() {
  echo "FAIL: $*" >&2
  for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done
  exit 1
}
cd "$T"

STORE_KIND=${GK_UPSTREAM_STORE:-sqlite}
case "$STORE_KIND" in
  sqlite) ;;
  postgresql) pg_start; UPSTREAM_STORE=(--store "$PG_URL") ;;
  *) fail "GK_UPSTREAM_STORE: sqlite or postgresql" ;;
esac
# gate-upstream's own options: its key folder, and the shared store when there is one.
SERVE_STORE=(--dir up "${UPSTREAM_STORE[@]}")
# The store's own integrity check (SQLite's, or amcheck over PostgreSQL's B-tree indexes)
# and the count of (device, seq) stored more than once.
upstream_intact() {
  if [ "$STORE_KIND" = sqlite ]; then
    sqlite3 up/upstream.db "PRAGMA integrity_check" | grep -qx ok
  else
    pg_sql "CREATE EXTENSION IF NOT EXISTS amcheck" &&
      pg_sql "SELECT bt_index_check(c.oid, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'" >/dev/null
  fi
}
upstream_duplicates() {
  local q="SELECT COUNT(*) - COUNT(DISTINCT device || ':' || seq) FROM journal"
  if [ "$STORE_KIND" = sqlite ]; then sqlite3 up/upstream.db "$q"; else pg_sql "$q"; fi
}

SITE=site-1
upstream_init up
"$GATECTL" keygen --out issuer --site "$SITE" >/dev/null
"$GATECTL" keygen --out dev --name device >/dev/null
mkdir trust && cp issuer/issuer.pub trust/

# The operators' requests go straight to it (the profile upstream_serve writes); the kiosk's
# through the proxy.
start_upstream() { upstream_serve up --faults faults; }
start_proxy() {
  rm -f proxy.port
  "$BIN/fault-proxy" --upstream "127.0.0.1:$(cat up.port)" --mode-file mode --port-file proxy.port \
    2>>proxy.log &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  wait_file proxy.port
}
start_upstream
start_proxy
upstream_cmd register --device kiosk-01 --key dev/device.pub --site "$SITE" >/dev/null

write_config() {  # the kiosk talks to the upstream through the proxy
  cat >gated.toml <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "$SITE"
checkpoint = "test gate"
[gate]
record_file = "state/pulses.log"
[sync]
url = "https://127.0.0.1:$(cat proxy.port)"
pin = "$(cat up/tls.pin)"
device_id = "kiosk-01"
device_key = "dev/device.key"
authority_key = "up/authority.pub"
timeout_s = 2
batch_size = ${BATCH:-25}
TOML
}
write_config

NOW=$(date +%s)
issue() {  # issue ROLE -> prints "ID TEXT"
  "$GATECTL" issue --key issuer/issuer.key --site "$SITE" --building 5 --unit 2-301 \
    --role "${1:-resident}" --valid-from "$NOW" --json |
    sed -E 's/.*"id":"([0-9a-f]{32})".*"pass":"([^"]*)".*/\1 \2/; s/.*"pass":"([^"]*)".*"id":"([0-9a-f]{32})".*/\2 \1/'
}
read -r PASS_ID PASS_TEXT < <(issue)

SCENARIO_RUN=0
passages() {  # passages N [expect]: N passages of our resident through gated's scenario mode
  SCENARIO_RUN=$((SCENARIO_RUN + 1))
  {
    echo "start_time = $((NOW + SCENARIO_RUN * 3000))"
    for _ in $(seq "$1"); do
      printf '[[step]]\npass_text = "%s"\ntemperature = 36.6\nexpect = "%s"\nadvance_s = 60\n' \
        "$PASS_TEXT" "${2:-ok}"
    done
  } >scenario.toml
  "$BIN/gated" --config gated.toml --scenario scenario.toml >>passages.log 2>scenario.log ||
    fail "scenario run $SCENARIO_RUN: $(tail -3 scenario.log)"
}

kiosk_journal() { sqlite3 state/journal.db "SELECT seq || ' ' || hash FROM passages ORDER BY seq"; }
upstream_journal() { upstream_cmd journal --device "${1:-kiosk-01}"; }
journals_equal() {
  diff <(kiosk_journal) <(upstream_journal) >journal.diff || fail "journals differ after $1: $(head -5 journal.diff)"
}
sync_once() { "$BIN/gated" sync --config gated.toml >>sync.log 2>&1; }
# Syncs (faults off) until a round succeeds.
sync_clean() {
  echo pass >mode
  : >faults
  for _ in 1 2 3; do sync_once && return 0; done
  fail "sync does not recover after $1: $(tail -2 sync.log)"
}
