#!/usr/bin/env bash
# One attack on gated's listeners (board sim, loopback only) while passes are shown to the
# camera: flood.sh idle|slow|streams|logins. gk-attack asserts that every pass is decided,
# with a median latency within $GK_FLOOD_RATIO (2) times the quiet median of the same run
# and a p99 within as many times the quiet p99 (or 100 ms, whichever is more), and
# that the flood ends cleanly (no attacker connection left); this script then asserts that
# gated is still up, the journal verifies, and what the attack itself should have met.
#   idle     1100 connections that send nothing, to the guard console (the 1024-descriptor
#            exhaustion of old); they meet the console's budgets, never EMFILE
#   slow     200 connections sending their headers a byte a second; cut at the header limit
#            (rounds of 12 s: the limit is 10 s)
#   streams  40 held GET /events on the kiosk screen from LAN addresses; the kiosk's own page
#            still gets its stream
#   logins   wrong PINs as fast as answered, on keep-alive connections from 20 addresses
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
KIND=${1:?idle|slow|streams|logins}
fail() { echo "FAIL ($KIND): $*" >&2; tail -20 "$T/gated.out" >&2 2>/dev/null || true; exit 1; }

cd "$T"
mkdir trust spool
"$GATECTL" keygen --out keys --site site-1 >/dev/null
cp keys/issuer.pub trust/
NOW=$(date +%s)
"$GATECTL" issue --key keys/issuer.key --site site-1 --role staff --name 王保安 \
  --valid-from "$NOW" >staff.txt
echo 246810 | "$GATECTL" guard add --file guards staff.txt >/dev/null
# 24 residents: two rounds of 6 quiet and 6 flooded passes (each pass its own, so the
# camera's de-duplication and anti-passback never mistake one for another).
for i in $(seq 24); do
  "$GATECTL" issue --key keys/issuer.key --site site-1 --building 5 --unit "2-$i" \
    --name "住户$i" --valid-from "$NOW" --png "p$i.png" >/dev/null
done
cat >gated.toml <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "site-1"
checkpoint = "test gate"
[camera]
source = "spool:spool"
fps = 50
[screen]
listen = "127.0.0.1:0"
[console]
listen = "127.0.0.1:0"
guards_file = "guards"
TOML
"$BIN/gated" --config gated.toml >gated.out 2>gated.err &
GATED=$!
PIDS+=("$GATED")
screen=$(listener_port gated.out screen)
console=$(listener_port gated.out console)

seconds=4 rounds=2
case $KIND in
  idle) target=$console listener=console count=1100 ;;
  # Longer rounds: the console cuts a header still unfinished 10 s after the accept.
  slow) target=$console listener=console count=200 seconds=11 ;;
  streams) target=$screen listener=screen count=40 ;;
  logins) target=$console listener=console count=20 ;;
  *) fail "unknown attack $KIND" ;;
esac
passes=()
for i in $(seq 24); do passes+=("p$i.png"); done
"$BIN/gk-attack" --flood "$KIND" --port "$target" --listener "$listener" --count "$count" \
  --seconds "$seconds" --rounds "$rounds" --metrics-port "$screen" --spool spool --decisions gated.out \
  --ratio "${GK_FLOOD_RATIO:-2}" --passes "${passes[@]}" >attack.json 2>attack.err ||
  fail "$(cat attack.err) $(cat attack.json)"
cat attack.json
kill -0 "$GATED" 2>/dev/null || fail "gated died"
field() { sed -nE "s/.*\"$1\":([0-9-]+).*/\1/p" attack.json; }

case $KIND in
  idle)
    # The console's budgets closed the excess at once; nothing spun at EMFILE.
    [ "$(field refused_at_once)" -gt 900 ] || fail "the console's budgets did not refuse the flood"
    ;;
  slow)
    [ "$(field cut_later)" -gt 0 ] || fail "no slow-header connection was cut"
    ;;
  streams)
    [ "$(field kiosk_stream)" = 1 ] || fail "the kiosk page was locked out of its stream"
    ;;
  logins)
    [ "$(sed -nE 's/.*"statuses":\{([^}]*)\}.*/\1/p' attack.json)" != "" ] || fail "no login answered"
    ;;
esac
grep -q "accept" gated.err && grep "accept" gated.err >&2 && fail "accept failures during the $KIND flood"
kill "$GATED"
wait "$GATED" 2>/dev/null || true
"$GATECTL" journal verify state/journal.db | grep -q '"ok":true' || fail "journal"
