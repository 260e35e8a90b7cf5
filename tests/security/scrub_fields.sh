#!/usr/bin/env bash
# Free text scrubbed where it enters (issue 14, item 4): a guard types a raw mobile number,
# an 18-digit ID number and a bank card number into every field of the console (visitor,
# registration, delivery, release, outbreak), a resident consents at the camera, the journal
# is uploaded; then the raw numbers are searched for in the journal, sync.db, upstream.db, the
# daemon's output and both event streams. Only the sealed boxes may hold them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
fail() { echo "FAIL: $*" >&2; tail -20 "$T/gated.out" >&2 2>/dev/null || true; exit 1; }
cd "$T"
PHONE=13912345678 ID=11010519491231002X CARD=6222020200112233445 VISITOR_PHONE=13698765432
upstream_start up
"$BIN/gatectl" keygen --out issuer --site site-1 >/dev/null
"$BIN/gatectl" keygen --out dev --name device >/dev/null
upstream_cmd register --device kiosk-01 --key dev/device.pub --site site-1 >/dev/null
mkdir trust spool && cp issuer/issuer.pub trust/
NOW=$(date +%s)
"$BIN/gatectl" issue --key issuer/issuer.key --site site-1 --building 5 --name 李娜 \
  --valid-from "$NOW" --png resident.png >/dev/null
"$BIN/gatectl" issue --key issuer/issuer.key --site site-1 --role staff --name 王保安 \
  --valid-from "$NOW" >staff.txt
echo 246810 | "$BIN/gatectl" guard add --file guards staff.txt >/dev/null
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
[screen]
listen = "127.0.0.1:0"
[console]
listen = "127.0.0.1:0"
guards_file = "guards"
[sync]
url = "https://127.0.0.1:$(cat up.port)"
pin = "$(cat up/tls.pin)"
device_id = "kiosk-01"
device_key = "dev/device.key"
authority_key = "up/authority.pub"
interval_s = 1
timeout_s = 2
TOML
"$BIN/gated" --config gated.toml >gated.out 2>gated.err &
GATED=$!
PIDS+=("$GATED")
screen=$(listener_port gated.out screen)
console=$(listener_port gated.out console)
C="http://127.0.0.1:$console"
curl -sN --max-time 30 "http://127.0.0.1:$screen/events" >screen.events 2>/dev/null &
PIDS+=("$!")

login=$(curl -s -c cookies -H 'Content-Type: application/json' \
  -d "{\"pass\":\"$(tr -d '\n' <staff.txt)\",\"pin\":\"246810\"}" "$C/api/login")
csrf=$(sed -E 's/.*"csrf":"([0-9a-f]+)".*/\1/' <<<"$login")
[ -n "$csrf" ] || fail "login: $login"
curl -sN --max-time 30 -b cookies "$C/api/events" >console.events 2>/dev/null &
PIDS+=("$!")
act() {  # act PATH JSON: one console action, must be accepted
  local out
  out=$(curl -s -b cookies -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" -d "$2" "$C$1")
  grep -q '"ok":true' <<<"$out" || fail "$1: $out"
}
TYPED="业主$PHONE 身份证$ID 卡$CARD"
act /api/register "{\"name\":\"钱七$PHONE\",\"phone\":\"$VISITOR_PHONE\",\"reason\":\"$TYPED\"}"
act /api/delivery "{\"courier\":\"孙八$ID\",\"phone\":\"$VISITOR_PHONE\",\"company\":\"顺丰 $PHONE $CARD\"}"
act /api/release "{\"reason\":\"$TYPED\"}"
act /api/outbreak "{\"outbreak\":\"normal\",\"quarantined_buildings\":[],\"reason\":\"$TYPED\"}"
act /api/visitor "{\"name\":\"赵敏$CARD\",\"phone\":\"$VISITOR_PHONE\",\"reason\":\"$TYPED\"}"
# The resident consents at the camera: the visitor's entry row.
cp resident.png incoming.png && mv incoming.png spool/consent.png
for _ in $(seq 200); do grep -q '"visitor_with_consent"' gated.out && break; sleep 0.05; done
grep -q '"visitor_with_consent"' gated.out || fail "the resident's consent was not decided"
# Everything uploaded.
head=$(sqlite3 state/journal.db "SELECT MAX(seq) FROM passages")
for _ in $(seq 200); do
  [ "$(sqlite3 up/upstream.db "SELECT COALESCE(MAX(seq),0) FROM journal WHERE device='kiosk-01'")" = "$head" ] && break
  sleep 0.1
done
[ "$(sqlite3 up/upstream.db "SELECT COALESCE(MAX(seq),0) FROM journal")" = "$head" ] ||
  fail "the upstream did not receive all $head rows"
sealed=$(sqlite3 state/journal.db "SELECT COUNT(*) FROM passages WHERE length(sealed) > 0")
[ "$sealed" -ge 3 ] || fail "only $sealed sealed rows (visitor, registration, delivery)"
# The masked forms are there, so the search below is not vacuous.
sqlite3 state/journal.db "SELECT detail FROM passages" | grep -q '139\*\*\*\*5678' ||
  fail "no masked number in the journal's details"
kill "$GATED"
wait "$GATED" 2>/dev/null || true
sleep 0.2

found=0
for needle in "$PHONE" "$ID" "$CARD" "$VISITOR_PHONE"; do
  for f in state/journal.db* state/sync.db* up/upstream.db* gated.out gated.err up.log \
    screen.events console.events state/*.json; do
    [ -f "$f" ] || continue
    if grep -aq -- "$needle" "$f"; then
      echo "raw $needle found in $f" >&2
      found=1
    fi
  done
done
[ "$found" = 0 ] || fail "raw numbers kept in clear"
echo "scrub_fields: 5 actions with raw numbers in every field, $head rows uploaded; no raw number in journal, sync.db, upstream.db, logs or streams"
