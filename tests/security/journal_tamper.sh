#!/usr/bin/env bash
# The journal changed under a running gated (anyone who can write the state directory):
# truncated, or replaced by a copy. The next passage must not open the gate: no relay pulse
# without a durable row, the decision journal_unavailable and an alarm (issue 14, item 6).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
fail() { echo "FAIL: $*" >&2; tail -20 "$T/gated.out" >&2 2>/dev/null || true; exit 1; }
cd "$T"
mkdir trust spool
"$BIN/gatectl" keygen --out keys --site site-1 >/dev/null
cp keys/issuer.pub trust/
NOW=$(date +%s)
for who in a b c d; do
  "$BIN/gatectl" issue --key keys/issuer.key --site site-1 --building 5 --name 张伟 \
    --valid-from "$NOW" --png "$who.png" >/dev/null
done
cat >gated.toml <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "site-1"
checkpoint = "北门"
[camera]
source = "spool:spool"
fps = 20
dedup_window_ms = 100
[gate]
record_file = "state/pulses.log"
TOML
decisions() { grep -c '"decision"' gated.out || true; }
present() {  # present IMAGE: drop it into the spool, wait for its decision
  local n
  n=$(decisions)
  cp "$1" incoming.png && mv incoming.png "spool/$(date +%s%N).png"
  for _ in $(seq 200); do [ "$(decisions)" -gt "$n" ] && return 0; sleep 0.05; done
  fail "no decision for $1"
}
pulses() { [ -f state/pulses.log ] && wc -l <state/pulses.log || echo 0; }
run_case() {  # run_case NAME COMMAND...: tamper with the journal under a running gated
  local name=$1
  shift
  rm -rf state spool/*
  : >gated.out
  "$BIN/gated" --config gated.toml >gated.out 2>&1 &
  GATED=$!
  PIDS+=("$GATED")
  present a.png
  [ "$(pulses)" = 1 ] || fail "$name: the first passage did not open the gate"
  "$@"
  present b.png
  present c.png
  [ "$(pulses)" = 1 ] || fail "$name: the gate opened after the journal was changed"
  grep -q '"reason":"journal_unavailable"' gated.out || fail "$name: not journal_unavailable"
  grep -q '"alarm":"journal_unavailable"' gated.out || fail "$name: no alarm"
  kill "$GATED"
  wait "$GATED" 2>/dev/null || true
  echo "journal_tamper: $name: gate shut, journal_unavailable, alarm"
}
truncate_wal() { truncate -s 0 state/journal.db-wal; }
truncate_db() { truncate -s 0 state/journal.db; }
replace_db() { cp state/journal.db state/j.copy && mv state/j.copy state/journal.db; }
other_writer() { sqlite3 state/journal.db "UPDATE passages SET detail='edited' WHERE seq=1"; }
run_case "WAL truncated" truncate_wal
run_case "database truncated" truncate_db
run_case "database replaced" replace_db
run_case "another writer" other_writer
