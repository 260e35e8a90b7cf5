#!/usr/bin/env bash
# gated live on board sim (spool camera, screen server on a free port) + the kiosk screen in
# headless Chromium. Screenshots: build/screenshots/ (kept for people to look at).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
SHOTS=${GK_SCREENSHOTS:-$(cd "$HERE/../.." && pwd)/build/screenshots}
mkdir -p "$SHOTS"
fail() { echo "FAIL: $*" >&2; cat "$T/gated.out" >&2 2>/dev/null || true; exit 1; }
[ -d "$HERE/node_modules/playwright-core" ] || (cd "$HERE" && npm ci --no-audit --no-fund >/dev/null)

cd "$T"
mkdir trust spool
"$BIN/gatectl" keygen --out keys --site site-1 >/dev/null
cp keys/issuer.pub trust/
NOW=$(date +%s)
"$BIN/gatectl" issue --key keys/issuer.key --site site-1 --building 5 --unit 2-301 --name 李娜 \
  --valid-from "$NOW" --png admit.png >/dev/null
"$BIN/gatectl" issue --key keys/issuer.key --site site-1 --building 5 --unit 2-301 --name 刘洋 \
  --valid-from $((NOW - 10 * 86400)) --valid-days 7 --png expired.png >/dev/null
cat >gated.toml <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "site-1"
checkpoint = "莲花北村北门"
[camera]
source = "spool:spool"
fps = 20
# Each image dropped into the spool is a person at the kiosk: the second viewport shows the
# same pass again, which the live camera's 3 s window would take for the same sighting.
dedup_window_ms = 0
[screen]
listen = "127.0.0.1:0"
TOML
"$BIN/gated" --config gated.toml >gated.out 2>&1 &
GATED=$!
PIDS+=("$GATED")
port=$(listener_port gated.out screen)
node "$HERE/kiosk_screen.mjs" "http://127.0.0.1:$port/" "$T/spool" admit.png expired.png "$SHOTS" ||
  fail "browser test"
kill "$GATED"
wait "$GATED" 2>/dev/null || true
[ "$(grep -c '"decision":"admit"' gated.out)" = 2 ] || fail "two admits expected"
"$BIN/gatectl" journal verify state/journal.db | grep -q '"ok":true' || fail "journal"
ls "$SHOTS"/kiosk-*.png >/dev/null
