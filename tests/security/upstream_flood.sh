#!/usr/bin/env bash
# 600 idle sockets to gate-upstream (more than its 512 connections; from 249 loopback
# addresses, so no per-address budget stops them), never sending a TLS ClientHello, while
# a registered kiosk syncs. Idle sockets cannot hold the TLS handshake budget (the oldest
# pending handshake is dropped for a newer one), so every sync round during the flood
# succeeds and the upstream ends with the kiosk's every row; the flood ends cleanly.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../integration/sync/lib.sh"
passages 5
# This kiosk talks to the upstream directly (not through the fault proxy).
sed -i "s|^url = .*|url = \"https://127.0.0.1:$(cat up.port)\"|" gated.toml
"$BIN/gk-attack" --flood handshakes --port "$(cat up.port)" --count 600 --seconds 6 \
  >attack.json 2>attack.log &
ATTACK=$!
PIDS+=("$ATTACK")
sleep 1.5
for round in 1 2 3; do
  "$BIN/gated" sync --config gated.toml >>sync.log 2>&1 || fail "sync round $round during the flood"
  passages 2
done
"$BIN/gated" sync --config gated.toml >>sync.log 2>&1 || fail "last sync round during the flood"
wait "$ATTACK" || fail "the flood did not end cleanly: $(cat attack.log)"
cat attack.json
kill -0 "$UPSTREAM_PID" || fail "gate-upstream died"
head=$(sqlite3 state/journal.db 'SELECT max(seq) FROM passages')
acked=$(sqlite3 up/upstream.db "SELECT max(seq) FROM journal WHERE device = 'kiosk-01'")
[ "$head" = "$acked" ] || fail "upstream holds up to $acked, the kiosk's head is $head"
