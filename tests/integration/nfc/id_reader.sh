#!/usr/bin/env bash
# The certified ID-card reader module (SAM) on a pseudo-terminal (tools/idreader-sim):
# gatectl idcard read shows the card masked; every fault of the module ends in a clear
# error and the next read recovers; gatectl idcard enrol binds a pass to the keyed hash of
# the ID number; gated with [idcard] admits the enrolled resident placing the card, refuses an
# expired card (id_card_expired) and an unknown one (card_not_enrolled); gatectl hw probe sees
# the module. Then the ID numbers, addresses and full names are searched for in every file
# and stream: none in clear.
set -euo pipefail
source "$(dirname "$0")/../../lib/harness.sh"
fail() { echo "FAIL: $*" >&2; for f in "$T"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -5 "$f"; } >&2; done; exit 1; }
DEV="serial:$T/idreader:115200"
ctl() { echo "$*" >"$T/ctl"; sleep 0.2; }
card() {  # card FILE NAME ID ADDRESS VALID_UNTIL
  printf '{"name":"%s","gender":"1","ethnic":"01","birth":"19900305","address":"%s","id_number":"%s","authority":"郑州市公安局金水分局","valid_from":"20150601","valid_until":"%s"}\n' \
    "$2" "$4" "$3" "$5" >"$1"
}
card "$T/resident.json" 张三丰 410105199003051234 河南省郑州市金水区花园路88号院3号楼 20350601
card "$T/expired.json" 王五 41010219800101567X 河南省郑州市二七区大学路12号 20200101
card "$T/stranger.json" 赵六 410103198505054321 河南省郑州市中原区建设路9号 长期
"$BIN/idreader-sim" --link "$T/idreader" --card "$T/resident.json" --control "$T/ctl" 2>"$T/sim.err" &
PIDS+=("$!")
for _ in $(seq 50); do [ -e "$T/idreader" ] && [ -p "$T/ctl" ] && break; sleep 0.1; done

# The read, masked.
timeout 10 $GATECTL idcard read --device "$DEV" --json >"$T/read.json" 2>"$T/read.err" || fail "idcard read"
for f in '"name":"张\*\*"' '"id_number":"4101\*\*\*\*\*\*\*\*\*\*1234"' '"district":"河南省郑州市金水区"' \
  '"gender":"男"' '"valid_until":"20350601"' '"expired":false' '"photo_bytes":1024' '"age":'; do
  grep -q "$f" "$T/read.json" || fail "read lacks $f: $(cat "$T/read.json")"
done

# Faults: each a clear error (exit 1, a message), never a hang; the next read recovers.
expect_error() {  # expect_error PATTERN
  set +e
  timeout 10 $GATECTL idcard read --device "$DEV" --json >"$T/f.json" 2>"$T/f.err"; local rc=$?
  set -e
  [ $rc = 1 ] || fail "expected exit 1 ($1), got $rc: $(cat "$T/f.err")"
  grep -q "$1" "$T/f.err" || fail "expected '$1': $(cat "$T/f.err")"
}
expect_ok() { timeout 10 $GATECTL idcard read --device "$DEV" --json >/dev/null 2>"$T/ok.err" || fail "no recovery after $1: $(cat "$T/ok.err")"; }
ctl remove;                 expect_error "no card";          ctl place "$T/resident.json"; expect_ok "no card"
ctl fault status 41;        expect_error "read failed (41)"; expect_ok "status 41"
ctl fault status 31;        expect_error "(31)";             expect_ok "status 31"
ctl fault status 32;        expect_error "(32)";             expect_ok "status 32"
ctl fault bad_checksum 1;   expect_ok "one corrupted answer (asked again)"
ctl fault bad_checksum 6;   expect_error "checksum";         ctl clear; expect_ok "checksum errors"
ctl fault partial 1;        expect_error "half-way";         expect_ok "a partial frame"
ctl fault slow 2500;        expect_error "no answer";        ctl clear; sleep 3; expect_ok "slow answers"
ctl unplug;                 expect_error "cannot open\|hung up\|read failed"; ctl replug; expect_ok "unplug"

# Enrolment by ID number at the property office.
$GATECTL keygen --out "$T" >/dev/null
mkdir -p "$T/trust" && cp "$T/issuer.pub" "$T/trust/"
$GATECTL card id-key --out "$T/id.key"
timeout 10 $GATECTL idcard enrol --device "$DEV" --id-key "$T/id.key" --key "$T/issuer.key" --site s1 \
  --building 5 --unit 302 --out "$T/enrolment.txt" --json >"$T/enrol.json" 2>"$T/enrol.err" || fail "idcard enrol"
grep -q '"id_number":"4101\*\*\*\*\*\*\*\*\*\*1234"' "$T/enrol.json" || fail "enrol: $(cat "$T/enrol.json")"
ctl place "$T/expired.json"
set +e; timeout 10 $GATECTL idcard enrol --device "$DEV" --id-key "$T/id.key" --key "$T/issuer.key" --site s1 \
  --out "$T/enrolment.txt" >/dev/null 2>"$T/enrol2.err"; rc=$?; set -e
[ $rc = 1 ] && grep -q "validity end" "$T/enrol2.err" || fail "an expired card was enrolled: $rc"
[ "$(grep -c . "$T/enrolment.txt")" = 1 ] || fail "one enrolment line"

cat >"$T/gated.toml" <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "s1"
checkpoint = "id reader test"
[nfc]
enrolment_file = "enrolment.txt"
id_card_key = "id.key"
[idcard]
device = "$DEV"
poll_ms = 100
[screen]
listen = "127.0.0.1:0"
TOML
timeout 20 $GATECTL hw probe --config "$T/gated.toml" --json >"$T/probe.json" 2>/dev/null || true
grep -q '"device":"id_reader"[^}]*"health":"ok"\|"health":"ok"[^}]*"device":"id_reader"' "$T/probe.json" || fail "hw probe: $(cat "$T/probe.json")"
ctl remove
$BIN/gated --config "$T/gated.toml" >"$T/decisions.jsonl" 2>"$T/gated.err" &
GATED=$!
PIDS+=("$GATED")
port=$(listener_port "$T/decisions.jsonl" screen)
curl -sN --max-time 8 "http://127.0.0.1:$port/events" >"$T/screen.sse" 2>/dev/null &
PIDS+=("$!")
decisions() { grep -c '"decision"' "$T/decisions.jsonl" || true; }
wait_decisions() {
  for _ in $(seq 100); do [ "$(decisions)" -ge "$1" ] && return 0; sleep 0.1; done
  fail "expected $1 decisions, got: $(cat "$T/decisions.jsonl")"
}
sleep 0.5
ctl place "$T/resident.json"; wait_decisions 1; sleep 0.6   # stays on the reader: one passage
ctl remove; sleep 0.3
ctl place "$T/expired.json"; wait_decisions 2
ctl remove; sleep 0.3
ctl place "$T/stranger.json"; wait_decisions 3
ctl remove; sleep 0.3
curl -s "http://127.0.0.1:$port/metrics" >"$T/metrics.txt" || true
kill -TERM $GATED; wait $GATED || true
grep '"decision"' "$T/decisions.jsonl" >"$T/decided.jsonl"
[ "$(grep -c . "$T/decided.jsonl")" = 3 ] || fail "expected 3 decisions: $(cat "$T/decided.jsonl")"
line() { sed -n "$1p" "$T/decided.jsonl"; }
line 1 | grep -q '"reason":"ok"' || fail "enrolled resident not admitted: $(line 1)"
line 1 | grep -q '"credential":"id_card"' || fail "credential kind: $(line 1)"
line 2 | grep -q '"reason":"id_card_expired"' || fail "expired card: $(line 2)"
line 2 | grep -q '身份证已过有效期' || fail "expired card message: $(line 2)"
line 3 | grep -q '"reason":"card_not_enrolled"' || fail "unknown card: $(line 3)"
grep -q 'gate_device_up{device="id_reader"} 1' "$T/metrics.txt" || fail "metrics: id_reader gauge"

# The guard's desk: one read of the card on the desk's module registers its holder at the
# console: name, gender, age and district shown (masked), the whole record sealed to the
# upstream's key, the guard's id on the row, the legal warning on the page.
"$BIN/gate-upstream" init --dir "$T/up" >/dev/null   # the key the record is sealed to
$GATECTL issue --key "$T/issuer.key" --site s1 --role staff --name 王保安 >"$T/staff.txt"
echo 246810 | $GATECTL guard add --file "$T/guards" "$T/staff.txt" >/dev/null
cat >"$T/desk.toml" <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "s1"
checkpoint = "id reader test"
[console]
listen = "127.0.0.1:0"
guards_file = "guards"
id_reader = "$DEV"
[sync]
authority_key = "up/authority.pub"
TOML
$BIN/gated --config "$T/desk.toml" >"$T/desk.out" 2>"$T/desk.err" &
DESK=$!
PIDS+=("$DESK")
cport=$(listener_port "$T/desk.out" console)
C="http://127.0.0.1:$cport"
curl -s "$C/" >"$T/console.html"
grep -q "非法收集" "$T/console.html" && grep -q "collecting," "$T/console.html" || fail "no legal warning on the console page"
login=$(jq -n --rawfile p "$T/staff.txt" '{pass: ($p | rtrimstr("\n")), pin: "246810"}')
curl -s -c "$T/cookies" -H 'Content-Type: application/json' -d "$login" "$C/api/login" >"$T/login.json"
csrf=$(jq -r .csrf "$T/login.json")
[ -n "$csrf" ] && [ "$csrf" != null ] || fail "console login: $(cat "$T/login.json")"
register() {
  curl -s -b "$T/cookies" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" \
    -d '{"reason":"访友 visiting"}' "$C/api/register_id_card"
}
ctl place "$T/resident.json"
register >"$T/reg.json"
jq -e '.ok == true and .reason == "registered_at_gate"' "$T/reg.json" >/dev/null || fail "registration: $(cat "$T/reg.json")"
for f in '张\*\*' '男' '河南省郑州市金水区' '4101\*\*\*\*\*\*\*\*\*\*1234'; do
  jq -r .detail "$T/reg.json" | grep -q "$f" || fail "registration detail lacks $f: $(cat "$T/reg.json")"
done
ctl place "$T/expired.json"
register >"$T/reg2.json"
jq -e '.ok == false and .reason == "id_card_expired"' "$T/reg2.json" >/dev/null || fail "expired card registered: $(cat "$T/reg2.json")"
ctl remove
register >"$T/reg3.json"
jq -e '.ok == false and .reason == "device_fault"' "$T/reg3.json" >/dev/null || fail "no card: $(cat "$T/reg3.json")"
jq -r .detail "$T/reg3.json" | grep -q "no card" || fail "no card detail: $(cat "$T/reg3.json")"
kill -TERM $DESK; wait $DESK || true
staff_id=staff-$($GATECTL verify --trust "$T/trust" "$T/staff.txt" | jq -r .pass.id | cut -c1-8)
row=$(sqlite3 -separator '|' "$T/state/journal.db" \
  "SELECT reason, operator_id, holder, detail, length(sealed) FROM passages WHERE reason = 'registered_at_gate'")
IFS='|' read -r r_reason r_op r_holder r_detail r_sealed <<<"$row"
[ "$r_op" = "$staff_id" ] || fail "the guard's id is not on the row: $row"
[ "$r_holder" = "张**" ] || fail "holder: $row"
[[ $r_detail == *"男 "*"河南省郑州市金水区"* ]] || fail "detail: $row"
[ "${r_sealed:-0}" -gt 1024 ] || fail "the record (with its photo) is not sealed on the row: $row"
sqlite3 "$T/state/journal.db" "SELECT count(*) FROM passages WHERE reason = 'id_card_expired' AND operator_id = '$staff_id'" |
  grep -qx 1 || fail "the refused expired card is not journaled"

# The journal goes upstream (sync.db on the kiosk, upstream.db there): the same rows.
$GATECTL keygen --out "$T/dev" --name device >/dev/null
upstream_start "$T/up"
upstream_cmd register --device kiosk-01 --key "$T/dev/device.pub" --site s1 >/dev/null
cat >>"$T/desk.toml" <<TOML
url = "https://127.0.0.1:$(cat "$T/up.port")"
pin = "$(cat "$T/up/tls.pin")"
device_id = "kiosk-01"
device_key = "dev/device.key"
TOML
timeout 30 $BIN/gated sync --config "$T/desk.toml" >"$T/sync.out" 2>"$T/sync.err" || fail "sync: $(cat "$T/sync.err")"
rows=$(sqlite3 "$T/state/journal.db" "SELECT count(*) FROM passages")
[ "$(upstream_cmd journal --device kiosk-01 | grep -c .)" = "$rows" ] || fail "upstream journal"

# Privacy: no ID number, no address (whole or its street), no full name in clear anywhere.
needles=(410105199003051234 41010219800101567X 410103198505054321 花园路88号 大学路12号 建设路9号
  河南省郑州市金水区花园路 张三丰 王五 赵六)
for n in "${needles[@]}"; do
  if grep -rlaF -- "$n" "$T/state" "$T/up" "$T/sync.out" "$T/sync.err" "$T/up.log" "$T/decisions.jsonl" "$T/gated.err" "$T/screen.sse" "$T/metrics.txt" \
    "$T/enrolment.txt" "$T/enrol.json" "$T/read.json" "$T/probe.json" "$T/desk.out" "$T/desk.err" \
    "$T"/reg*.json; then
    fail "$n found in clear"
  fi
done
echo "id reader ok"
