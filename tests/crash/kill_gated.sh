#!/usr/bin/env bash
# Crash consistency: gated on board sim under a stream of passages (spool camera), with sync
# to a live gate-upstream, killed with SIGKILL at a random moment and restarted, ROUNDS times
# (default 100 in CI; tests/crash/kill_gated.sh 1000 for the full run). After every kill:
#  - the journal passes PRAGMA integrity_check and its hash chain verifies;
#  - every gate pulse the simulated relay recorded names a committed, admitted passage;
# and every 50 rounds and at the end, after one clean sync, the upstream holds exactly the
# kiosk's journal (seq and hash for every row). Last, gated runs for 6 s while people keep
# coming: its steady rounds must be one request each (more rounds than time requests).
set -euo pipefail
ROUNDS=${1:-100}
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
fail() { echo "FAIL (round ${round:-0}): $*" >&2; exit 1; }
cd "$T"

SITE=site-1
upstream_start up
"$BIN/gatectl" keygen --out issuer --site "$SITE" >/dev/null
"$BIN/gatectl" keygen --out dev --name device >/dev/null
upstream_cmd register --device kiosk-01 --key dev/device.pub --site "$SITE" >/dev/null
mkdir trust spool frames
cp issuer/issuer.pub trust/
NOW=$(date +%s)
for i in $(seq 8); do
  "$BIN/gatectl" issue --key issuer/issuer.key --site "$SITE" --building "$i" --unit 1-101 \
    --valid-from "$NOW" --png "frames/p$i.png" >/dev/null
done
cat >gated.toml <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "$SITE"
checkpoint = "crash gate"
[camera]
source = "spool:spool"
fps = 60
dedup_window_ms = 0
[gate]
record_file = "state/pulses.log"
[sync]
url = "https://127.0.0.1:$(cat up.port)"
pin = "$(cat up/tls.pin)"
device_id = "kiosk-01"
device_key = "dev/device.key"
authority_key = "up/authority.pub"
interval_s = 1
backoff_min_s = 1
batch_size = 50
TOML

feed() {  # a few people in front of the camera
  for i in $(seq "$1"); do
    local f="frames/p$(((RANDOM % 8) + 1)).png" n="$RANDOM$RANDOM"
    cp "$f" "spool/$n.png.tmp" && mv "spool/$n.png.tmp" "spool/$n.png"
  done
}
check_journal() {
  # Killed before it even created its journal: nothing was committed, no gate opened.
  if [ ! -f state/journal.db ]; then
    [ ! -s state/pulses.log ] || fail "gate pulses without a journal"
    return 0
  fi
  [ "$(sqlite3 state/journal.db 'PRAGMA integrity_check')" = ok ] || fail "journal integrity_check"
  # Killed while creating it (the file opened, its schema not yet committed): still nothing
  # committed and no gate opened; the next start migrates it from schema 0.
  if [ "$(sqlite3 state/journal.db 'PRAGMA user_version')" = 0 ] &&
    [ "$(sqlite3 state/journal.db 'SELECT count(*) FROM sqlite_master')" = 0 ]; then
    [ ! -s state/pulses.log ] || fail "gate pulses with a journal that has no schema yet"
    return 0
  fi
  "$BIN/gatectl" journal verify state/journal.db | grep -q '"ok":true' || fail "journal chain"
  [ -f state/pulses.log ] || return 0
  # Every pulse names a committed, admitted passage: no gate opened without its row. One
  # query for all of them (one sqlite3 per pulse made round N cost N processes: the thousand
  # rounds took hours).
  local missing
  missing=$(comm -23 <(sed -nE 's/^pulse [0-9]+ seq ([0-9]+)$/\1/p' state/pulses.log | sort -u) \
    <(sqlite3 state/journal.db "SELECT seq FROM passages WHERE decision = 'admit'" | sort -u))
  [ -z "$missing" ] || fail "gate pulses without an admitted journal row: $(echo $missing)"
}
check_upstream() {
  local ok=0
  for _ in 1 2 3; do "$BIN/gated" sync --config gated.toml >>sync.log 2>&1 && ok=1 && break; done
  [ $ok = 1 ] || fail "sync after the kills: $(tail -1 sync.log)"
  diff <(sqlite3 state/journal.db "SELECT seq || ' ' || hash FROM passages ORDER BY seq") \
    <(upstream_cmd journal --device kiosk-01) >/dev/null ||
    fail "upstream journal differs from the kiosk's"
}

kills=0
for round in $(seq "$ROUNDS"); do
  feed 4
  "$BIN/gated" --config gated.toml >>gated.log 2>&1 &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 400)))"
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
  wait "$pid" 2>/dev/null || true
  check_journal
  if ((round % 50 == 0)); then check_upstream; fi
done
check_upstream

# Then gated runs undisturbed while people keep coming: after its first round (time first),
# each round with passages to send is steady, one journal POST that brings the round's
# signed time (sync/PROTOCOL.md), so the upstream counts more rounds than time requests; and
# every round goes over the one connection the upstream holds for the kiosk. Stopped with
# SIGKILL as above, then the upstream must again hold exactly its journal.
metric() {  # metric REGEX: the sum of the upstream's matching /metrics lines
  curl -sk "https://127.0.0.1:$(cat up.port)/metrics" | grep -E "$1" | awk '{s += $NF} END {print s + 0}'
}
rounds_before=$(metric '^gk_upstream_rounds_total ')
times_before=$(metric '^gk_upstream_requests_total\{route="/v1/time"')
accepted_before=$(metric '^gate_http_accepted_total\{listener="upstream"')  # (with this scrape's)
"$BIN/gated" --config gated.toml >>gated.log 2>&1 &
pid=$!
for _ in $(seq 6); do
  feed 2
  sleep 1
done
held=$(metric '^gate_http_held_connections\{listener="upstream"')
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
# Less the two scrapes since (the held gauge's and this one).
connections=$(($(metric '^gate_http_accepted_total\{listener="upstream"') - accepted_before - 2))
rounds=$(($(metric '^gk_upstream_rounds_total ') - rounds_before))
times=$(($(metric '^gk_upstream_requests_total\{route="/v1/time"') - times_before))
echo "kill_gated: a live gated for 6 s: $rounds rounds, $times of them asked the time first"
((rounds >= 3 && times < rounds)) || fail "no steady round: $rounds rounds, $times time requests"
echo "kill_gated: the live gated's rounds took $connections connection(s); $held held for it"
((connections == 1 && held == 1)) || fail "rounds not on one held connection: $connections, $held held"
check_journal
check_upstream
rows=$(sqlite3 state/journal.db "SELECT COUNT(*) FROM passages")
pulses=$(wc -l <state/pulses.log 2>/dev/null || echo 0)
echo "kill_gated: $kills SIGKILLs in $ROUNDS rounds; $rows journal rows, $pulses gate pulses, each" \
  "pulse with its committed row; journal intact after every kill; upstream identical"
