#!/usr/bin/env bash
# gated live on board sim with the kiosk screen and the guard console + headless Chromium:
# a guard registers a visitor, the resident consents by showing their pass; the journal
# records the registration and the entry with guard, resident and (sealed) visitor.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
SHOTS=${GK_SCREENSHOTS:-$(cd "$HERE/../.." && pwd)/build/screenshots}
mkdir -p "$SHOTS"
fail() { echo "FAIL: $*" >&2; tail -20 "$T/gated.out" >&2 2>/dev/null || true; exit 1; }
[ -d "$HERE/node_modules/playwright-core" ] || (cd "$HERE" && npm ci --no-audit --no-fund >/dev/null)

cd "$T"
mkdir trust spool
"$BIN/gatectl" keygen --out keys --site site-1 >/dev/null
"$BIN/gatectl" keygen --out upstream --name authority >/dev/null  # the key visitor data is sealed to
cp keys/issuer.pub trust/
NOW=$(date +%s)
"$BIN/gatectl" issue --key keys/issuer.key --site site-1 --building 5 --unit 2-301 --name 李娜 \
  --valid-from "$NOW" --png resident.png --json >resident.json
resident_id=$(sed -E 's/.*"id":"([0-9a-f]{32})".*/\1/' resident.json)
"$BIN/gatectl" issue --key keys/issuer.key --site site-1 --role staff --name 王保安 \
  --valid-from "$NOW" >staff.txt
echo 246810 | "$BIN/gatectl" guard add --file guards staff.txt >/dev/null
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
[screen]
listen = "127.0.0.1:0"
[console]
listen = "127.0.0.1:0"
guards_file = "guards"
[sync]
authority_key = "$T/upstream/authority.pub"
TOML
# The console never serves the LAN in clear: a non-loopback address without TLS is refused.
sed '/^\[console\]/,/^\[sync\]/ s/^listen = "127.0.0.1:0"$/listen = "0.0.0.0:0"/' gated.toml >lan.toml
if "$BIN/gated" --config lan.toml >lan.out 2>&1; then fail "console on 0.0.0.0 without TLS started"; fi
grep -q "console.listen: a LAN address needs tls_cert and tls_key" lan.out ||
  fail "LAN refusal not explained: $(cat lan.out)"

"$BIN/gated" --config gated.toml >gated.out 2>&1 &
GATED=$!
PIDS+=("$GATED")
screen=$(listener_port gated.out screen)
console=$(listener_port gated.out console)
node "$HERE/guard_console.mjs" "http://127.0.0.1:$console/" "http://127.0.0.1:$screen/" "$T/spool" \
  resident.png staff.txt 246810 "$SHOTS" || fail "browser test"
kill "$GATED"
wait "$GATED" 2>/dev/null || true

q() { sqlite3 state/journal.db "$1"; }
[ "$(q "SELECT COUNT(*) FROM passages WHERE reason='guard_login_failed'")" = 1 ] || fail "failed login not journaled"
[ "$(q "SELECT COUNT(*) FROM passages WHERE reason='consent_pending' AND operator_id LIKE 'staff-%'")" = 1 ] ||
  fail "visitor registration not journaled"
row=$(q "SELECT decision, consenting_resident, operator_id, phone, length(sealed) FROM passages WHERE reason='visitor_with_consent'")
IFS='|' read -r decision resident guard phone sealed <<<"$row"
[ "$decision" = admit ] || fail "visitor entry: $row"
[ "$resident" = "$resident_id" ] || fail "the entry does not name the consenting resident: $row"
[[ $guard == staff-* ]] || fail "the entry does not name the guard: $row"
[ "$phone" = "138**8058" ] || fail "phone not masked in the journal: $phone"
[ "$sealed" -gt 48 ] || fail "visitor data not sealed: $sealed bytes"
if strings state/journal.db* | grep -q 13812348058; then fail "the raw phone number reached the disk"; fi
[ "$(q "SELECT COUNT(*) FROM passages WHERE reason='guard_override' AND detail LIKE 'manual release: %'")" = 1 ] ||
  fail "manual release not journaled with its reason"
"$BIN/gatectl" journal verify state/journal.db | grep -q '"ok":true' || fail "journal"
echo "guard console: journal holds the failed login, the registration, the visitor entry (resident + guard + sealed data), the release"
