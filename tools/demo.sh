#!/usr/bin/env bash
# Sets up what the demo needs (Debian packages, the three programs it runs: nothing from npm),
# then runs gated on the simulated board through a scripted demonstration: an issuer key, real
# signed passes rendered as QR images, and a day at the gate of 莲花北村 (residents, fever, a
# visitor, a courier, forged and expired passes, lockdown, a quarantined building, a
# revocation), the journal, then upstream sync. Every decision is printed.
#
# Adding to the demo: a person at the gate is one [[step]] in day_at_the_gate's scenario (or
# in sync's); a part of its own is a function `part_NAME` listed in PARTS below. Parts are
# numbered as they run, scenario steps across both scenarios; files go to $DEMO.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --demo # the build packages and the demo's targets only; nothing from npm
BIN=build/bin
DEMO=build/demo
rm -rf "$DEMO"
mkdir -p "$DEMO/keys" "$DEMO/trust" "$DEMO/frames" "$DEMO/other-keys"

SITE=sz-futian-lianhua-01
NOW=$(date +%s)
part_no=0
steps_run=0  # scenario steps shown so far: the next scenario goes on from here
part() {     # part TITLE: the heading of the next part
  part_no=$((part_no + 1))
  echo
  echo "== $part_no. $* =="
}
local_time() { printf '%(%Y-%m-%d %H:%M:%S)T' "$1"; }
count_steps() { grep -c '^\[\[step\]\]' "$1"; }
# run_scenario FILE: gated on board sim through FILE; decisions and alarms appended to
# decisions.jsonl, narration on the terminal, numbered on from the steps already shown.
run_scenario() {
  sed -i "1i first_step = $((steps_run + 1))" "$1"
  $BIN/gated --config "$DEMO/gated.toml" --scenario "$1" >>"$DEMO/decisions.jsonl"
  steps_run=$((steps_run + $(count_steps "$1")))
}

issue() { # issue NAME ARGS... : pass text into $DEMO/NAME.txt, QR into frames/NAME.png
  local name=$1
  shift
  $BIN/gatectl issue --key "$DEMO/keys/issuer.key" --valid-from "$NOW" "$@" \
    --png "$DEMO/frames/$name.png" --json >"$DEMO/$name.json"
  sed -E 's/.*"pass":"([^"]*)".*/\1/' "$DEMO/$name.json" >"$DEMO/$name.txt"
}
pass_id() { sed -E 's/.*"id":"([0-9a-f]{32})".*/\1/' "$DEMO/$1.json"; }

part_issuer_key() {
  part "the district office's issuer key (trusted by this kiosk) and a key it does not trust"
  $BIN/gatectl keygen --out "$DEMO/keys" # the district office key: any compound
  cp "$DEMO/keys/issuer.pub" "$DEMO/trust/"
  $BIN/gatectl keygen --out "$DEMO/other-keys" >/dev/null
}

part_passes() {
  part "signed passes, rendered as QR images"
  issue zhang --site "$SITE" --role resident --building 12 --unit 3-402 --name 张伟 --id-last4 123X
  issue li --site "$SITE" --role resident --building 7 --unit 1-101 --name 李娜
  issue wang --site "$SITE" --role temporary_resident --building 7 --unit 2-203 --name 王芳
  issue visitor --site "$SITE" --role visitor --building 12 --unit 3-402 --name 赵敏 \
    --host "$(pass_id zhang)" --visit-hours 4
  issue courier --site "$SITE" --role delivery --name 快递员
  issue elsewhere --site gz-tianhe-02 --role resident --building 1 --unit 1 --name 陈静
  $BIN/gatectl issue --key "$DEMO/keys/issuer.key" --site "$SITE" --building 3 --unit 9 \
    --name 刘洋 --valid-from $((NOW - 10 * 86400)) --valid-days 7 --png "$DEMO/frames/expired.png" >/dev/null
  $BIN/gatectl issue --key "$DEMO/other-keys/issuer.key" --site "$SITE" --building 3 --unit 9 \
    --name 伪造 --png "$DEMO/frames/forged-issuer.png" >/dev/null
  # A resident pass with one character changed after signing (inside the signature): the
  # text still decodes, the signature does not verify.
  local orig pos sub
  orig=$(cat "$DEMO/li.txt")
  pos=$((${#orig} - 10))
  [ "${orig:pos:1}" = "A" ] && sub=B || sub=A
  echo "${orig:0:pos}${sub}${orig:pos+1}" >"$DEMO/tampered.txt"
  for f in zhang li; do echo "  $f: $(cut -c1-60 "$DEMO/$f.txt")..."; done
  echo "  QR images in $DEMO/frames: $(cd "$DEMO/frames" && echo *.png)"
}

part_revocation_list() {
  part "a signed revocation list: 李娜's pass is revoked"
  $BIN/gatectl revoke --key "$DEMO/keys/issuer.key" --number 1 --site "$SITE" --out "$DEMO/revocations.bin" \
    "$(pass_id li)"
}

part_day_at_the_gate() {
  sed -e 's#^state_dir = .*#state_dir = "state"#' -e 's#^trust_dir = .*#trust_dir = "trust"#' \
    -e 's#^fail_secure = true#fail_secure = true\nrecord_file = "state/gate-pulses.log"#' \
    boards/sim/gated.toml >"$DEMO/gated.toml"
  cat >"$DEMO/scenario.toml" <<TOML
start_time = $((NOW + 60))

[[step]]
say = "Resident 张伟 (building 12) shows his e-pass on his phone; his forehead reads 34.9 °C in a 24 °C room: a body temperature of about 36.6 °C"
image = "frames/zhang.png"
skins = [34.9, 34.8, 35.0]
ambient = 24.0
expect = "ok"

[[step]]
say = "Resident 李娜 shows her e-pass with a fever: forehead 36.6 °C, body about 38.3 °C"
image = "frames/li.png"
skins = [36.5, 36.7, 36.6]
ambient = 24.0
expect = "fever"

[[step]]
say = "张伟 again, an hour later, feverish: his forehead reads 36.5 °C, which the old rule (skin against 37.3 °C) let in; in a 24 °C room that is a body temperature of about 38.2 °C"
image = "frames/zhang.png"
advance_s = 3600
skins = [36.4, 36.5, 36.6]
ambient = 24.0
expect = "fever"

[[step]]
say = "Temporary resident 王芳, but the thermometer does not answer"
image = "frames/wang.png"
thermometer_fault = "timeout"
expect = "temperature_not_measured"

[[step]]
say = "A visitor with a pass, no resident at the gate to consent"
image = "frames/visitor.png"
expect = "visitor_without_consent"

[[step]]
say = "A courier tries to walk in"
image = "frames/courier.png"
expect = "delivery_never_admitted"

[[step]]
say = "A pass for another compound"
image = "frames/elsewhere.png"
expect = "wrong_site"

[[step]]
say = "A pass that ran out three days ago (7-day validity)"
image = "frames/expired.png"
expect = "expired"

[[step]]
say = "A pass signed by a key this compound does not trust"
image = "frames/forged-issuer.png"
expect = "unknown_issuer"

[[step]]
say = "李娜's pass with one character altered"
pass_text = "$(cat "$DEMO/tampered.txt")"
expect = "bad_signature"

[[step]]
say = "Confirmed case: the compound goes into lockdown; the visitor tries again"
outbreak = "lockdown"
advance_s = 600
image = "frames/visitor.png"
expect = "lockdown"

[[step]]
say = "Residents still pass during lockdown: 王芳 comes back, forehead 34.7 °C (body about 36.4 °C)"
image = "frames/wang.png"
skins = [34.7]
ambient = 24.0
expect = "ok"

[[step]]
say = "Building 12 is placed under hard quarantine; 张伟 tries to go out"
quarantined_buildings = ["12"]
direction = "out"
image = "frames/zhang.png"
advance_s = 600
expect = "building_quarantined"

[[step]]
say = "The office revokes 李娜's pass; she shows it again (fever gone)"
revocations = "revocations.bin"
advance_s = 600
image = "frames/li.png"
expect = "revoked"

[[step]]
say = "Eight days later, 王芳 has not renewed her pass"
outbreak = "normal"
quarantined_buildings = []
advance_s = 691200
image = "frames/wang.png"
expect = "expired"
TOML
  part "a day at the gate: gated on board sim, $(count_steps "$DEMO/scenario.toml") people (steps $((steps_run + 1))-$((steps_run + $(count_steps "$DEMO/scenario.toml"))))"
  $BIN/gated config check "$DEMO/gated.toml"
  # Narration (stderr) here; the decisions and alarms, one JSON line each (stdout), into a file.
  run_scenario "$DEMO/scenario.toml"
  echo
  local decisions alarms
  # One line per decision ({..."decision":...}) and one per alarm raised for the guard
  # ({"alarm":"<reason>",...}: fever, forged or revoked passes, lockdown attempts).
  decisions=$(grep -c '"decision":' "$DEMO/decisions.jsonl" || true)
  alarms=$(grep -c '^{"alarm":"' "$DEMO/decisions.jsonl" || true)
  echo "$decisions decisions and $alarms alarms for the guard, one JSON line each in $DEMO/decisions.jsonl;"
  echo "the first decision and the first alarm:"
  grep -m 1 '"decision":' "$DEMO/decisions.jsonl"
  grep -m 1 '^{"alarm":"' "$DEMO/decisions.jsonl"
  echo "gate pulses recorded by the simulated relay (each names its committed journal row):"
  cat "$DEMO/state/gate-pulses.log"
}

part_journal() {
  part "the journal: hash chain verified, then each row (times local, $(date +%Z); the export keeps Unix seconds)"
  $BIN/gatectl journal verify "$DEMO/state/journal.db"
  $BIN/gatectl journal export --format csv "$DEMO/state/journal.db" >"$DEMO/journal.csv"
  # seq,time,gate,direction,credential,pass_id,role,decision,reason,temperature_c,operator_id,
  # consenting_resident,holder,...: the fields up to the holder never hold a comma here.
  printf '  %-4s %-19s %-4s %-7s %-26s %-5s %s\n' seq time dir decision reason °C holder
  tail -n +2 "$DEMO/journal.csv" | tr -d '\r' |
    while IFS=, read -r seq time _gate dir _cred _id _role decision reason temp _op _res holder _; do
      printf '  %-4s %-19s %-4s %-7s %-26s %-5s %s\n' "$seq" "$(local_time "$time")" "$dir" \
        "$decision" "$reason" "${temp:--}" "${holder:--}"
    done
  echo "  (all columns, for the community office: $DEMO/journal.csv)"
}

part_sync() {
  part "upstream sync: gate-upstream on loopback, pinned TLS, signed lists"
  $BIN/gate-upstream init --dir "$DEMO/upstream" --cn demo-upstream
  echo "-- the district office's operator gets a key of her own (the secret stays on her desk);"
  echo "   the server host adds its public half with her roles, the root of operator trust:"
  $BIN/gatectl keygen --out "$DEMO/operator" --name wangfang >/dev/null
  $BIN/gate-upstream operator add --dir "$DEMO/upstream" --id wangfang \
    --key "$DEMO/operator/wangfang.pub" --roles publisher,auditor | sed 's/^/   /'
  $BIN/gate-upstream serve --dir "$DEMO/upstream" --listen 127.0.0.1:0 \
    --port-file "$DEMO/upstream/port" 2>"$DEMO/upstream/serve.log" &
  UPSTREAM=$!
  trap 'kill $UPSTREAM 2>/dev/null || true' EXIT
  for _ in $(seq 100); do [ -s "$DEMO/upstream/port" ] && break; sleep 0.05; done
  # Her profile: which upstream (URL and TLS pin) and as whom, so gatectl upstream needs no
  # more options; every command is one request signed with her key.
  cat >"$DEMO/operator/profile.toml" <<TOML
url = "https://127.0.0.1:$(cat "$DEMO/upstream/port")"
pin = "$(cat "$DEMO/upstream/tls.pin")"
operator = "wangfang"
operator_key = "wangfang.key"
TOML
  export GATECTL_UPSTREAM_PROFILE=$DEMO/operator/profile.toml
  echo "-- a technician provisions the kiosk: device key, bundle signed by the provisioning root,"
  echo "   registered upstream; gated from now on runs only as the checkpoint the bundle names:"
  $BIN/gatectl keygen --out "$DEMO/root" --name root >/dev/null
  $BIN/gatectl provision --root-key "$DEMO/root/root.key" --device-id lianhua-north-01 \
    --site "$SITE" --checkpoint 莲花北村北门 --trust "$DEMO/trust" \
    --upstream "https://127.0.0.1:$(cat "$DEMO/upstream/port")" --register "$DEMO/upstream" \
    --out "$DEMO/provision.bundle" | sed 's/^/   /'
  cat >>"$DEMO/gated.toml" <<TOML

[provisioning]
bundle = "provision.bundle"
root_key = "root/root.pub"
TOML
  $BIN/gated config check "$DEMO/gated.toml" | sed 's/^/   /'
  echo "-- the kiosk uploads its journal (the upstream acknowledges a high-water mark):"
  $BIN/gated sync --config "$DEMO/gated.toml" | sed -E 's/.*"acked":([0-9]+).*"backlog":([0-9]+).*/   acked \1, backlog \2/'
  echo "-- the operator, from her desk, by URL (gatectl upstream journal, her profile):"
  echo "   upstream holds $($BIN/gatectl upstream journal --device lianhua-north-01 | wc -l) passages of this kiosk"
  echo "-- the district's list 1 is the one the office handed over earlier (李娜); now she also"
  echo "   revokes 张伟's pass upstream (list 2) and the kiosk pulls the signed delta 1 -> 2:"
  $BIN/gatectl upstream revoke "$(pass_id li)" >/dev/null
  $BIN/gatectl upstream revoke "$(pass_id zhang)" | sed 's/^/   /'
  $BIN/gated sync --config "$DEMO/gated.toml" | sed -E 's/.*"revocation_list":([0-9]+).*/   kiosk now holds revocation list \1/'
  cat >"$DEMO/scenario-sync.toml" <<TOML
start_time = $(($(date +%s) + 60))
[[step]]
say = "张伟 shows his e-pass again, after the revocation published upstream"
image = "frames/zhang.png"
expect = "revoked"
TOML
  run_scenario "$DEMO/scenario-sync.toml"
  $BIN/gated sync --config "$DEMO/gated.toml" >/dev/null
  echo "   kiosk journal $($BIN/gatectl journal export --format json "$DEMO/state/journal.db" | wc -l) rows," \
    "upstream $($BIN/gatectl upstream journal --device lianhua-north-01 | wc -l) rows"
  echo "-- the upstream's audit log: the host adding her, then each of her requests"
  echo "   (seq time operator action target outcome):"
  $BIN/gatectl upstream audit | sed 's/^/   /'
}

part_id_cards() {
  part "resident ID cards: enrolled once at the property office, then placed on the readers"
  local D=$DEMO/idcard
  mkdir -p "$D"
  $BIN/pn532-sim --link "$D/pn532" --control "$D/pn532.ctl" 2>/dev/null &
  NFC_SIM=$!
  printf '{"name":"陈静","gender":"2","ethnic":"01","birth":"19850512","address":"广东省深圳市福田区莲花路1号","id_number":"440304198505121228","authority":"深圳市公安局福田分局","valid_from":"20180101","valid_until":"20380101"}\n' >"$D/chen.json"
  printf '{"name":"刘洋","gender":"1","ethnic":"01","birth":"19700101","address":"广东省深圳市福田区红荔路2号","id_number":"440304197001011234","authority":"深圳市公安局福田分局","valid_from":"20000101","valid_until":"20200101"}\n' >"$D/liu.json"
  $BIN/idreader-sim --link "$D/idreader" --control "$D/idreader.ctl" 2>/dev/null &
  SAM_SIM=$!
  trap 'kill $NFC_SIM $SAM_SIM ${UPSTREAM:-} 2>/dev/null || true' EXIT
  for _ in $(seq 100); do [ -p "$D/pn532.ctl" ] && [ -p "$D/idreader.ctl" ] && break; sleep 0.05; done
  $BIN/gatectl card id-key --out "$D/id.key"
  echo "-- 王建国 holds his ID card to the kiosk's NFC reader (only its serial is readable without a SAM):"
  echo "id-card 8f3a01c2d4e5b697" >"$D/pn532.ctl"; sleep 0.3
  $BIN/gatectl card read --device "pn532_uart:$D/pn532" --json | sed 's/^/   /'
  $BIN/gatectl card enrol --device "pn532_uart:$D/pn532" --id-key "$D/id.key" \
    --key "$DEMO/keys/issuer.key" --site "$SITE" --building 9 --unit 1-201 --name 王建国 \
    --out "$D/enrolment.txt" | sed 's/^/   /'
  echo "-- 陈静's card on the certified reader (SAM): enrolled by the keyed hash of her ID number:"
  echo "place $D/chen.json" >"$D/idreader.ctl"; sleep 0.2
  $BIN/gatectl idcard read --device "serial:$D/idreader" --json | sed 's/^/   /'
  $BIN/gatectl idcard enrol --device "serial:$D/idreader" --id-key "$D/id.key" \
    --key "$DEMO/keys/issuer.key" --site "$SITE" --building 9 --unit 2-302 --out "$D/enrolment.txt" | sed 's/^/   /'
  echo "remove" >"$D/pn532.ctl"; echo "remove" >"$D/idreader.ctl"
  cat >"$D/gated.toml" <<TOML
board = "sim"
state_dir = "state"
trust_dir = "../trust"
[site]
id = "$SITE"
checkpoint = "莲花北村北门"
[nfc]
connstring = "pn532_uart:$D/pn532"
poll_ms = 100
enrolment_file = "enrolment.txt"
id_card_key = "id.key"
[idcard]
device = "serial:$D/idreader"
poll_ms = 100
TOML
  $BIN/gated --config "$D/gated.toml" >"$D/decisions.jsonl" 2>/dev/null &
  local gated=$!
  sleep 1
  echo "-- at the gate: 王建国 by NFC, 陈静 on the SAM reader, 刘洋 with an expired card, a stranger's card:"
  echo "id-card 8f3a01c2d4e5b697" >"$D/pn532.ctl"; sleep 0.8; echo remove >"$D/pn532.ctl"
  echo "place $D/chen.json" >"$D/idreader.ctl"; sleep 0.8; echo remove >"$D/idreader.ctl"
  echo "place $D/liu.json" >"$D/idreader.ctl"; sleep 0.8; echo remove >"$D/idreader.ctl"
  echo "id-card 0011223344556677" >"$D/pn532.ctl"; sleep 0.8; echo remove >"$D/pn532.ctl"
  kill -TERM $gated; wait $gated || true
  grep '"decision"' "$D/decisions.jsonl" | sed -E 's/.*"credential":"([a-z_]+)".*"decision":"([a-z]+)".*"message_zh":"([^"]*)".*"reason":"([a-z_]+)".*/   \1: \2 \4 \3/'
  echo "   (no serial, ID number or address is in $D/state: only the keyed hashes in $D/enrolment.txt)"
  kill $NFC_SIM $SAM_SIM 2>/dev/null || true
}

part_what_next() {
  part "what to try next"
  cat <<EOF
  - Scan a pass the way the kiosk does:   $BIN/gatectl scan $DEMO/frames/zhang.png
  - Verify one offline:                   $BIN/gatectl verify --trust $DEMO/trust $DEMO/li.txt
  - Change the day: edit $DEMO/scenario.toml (a step with expect = "<reason>" checks the
    decision; reasons: README "Rules and reasons"), then
      $BIN/gated --config $DEMO/gated.toml --scenario $DEMO/scenario.toml
  - The kiosk screen and guard console live: set [screen] listen / [console] listen in
    $DEMO/gated.toml (README "Kiosk screen and guard console") and run gated without --scenario.
  - Administer the upstream as its operator, by URL: the demo's upstream stops with the demo,
    so serve it again on the port in $DEMO/operator/profile.toml, then
      $BIN/gate-upstream serve --dir $DEMO/upstream --listen 127.0.0.1:PORT &
      GATECTL_UPSTREAM_PROFILE=$DEMO/operator/profile.toml $BIN/gatectl upstream devices
  - Every test, browser tests included (installs Node.js, npm and Chromium too): tools/test.sh
  - The rules and the notices they come from: firmware/policy/DOMAIN.md
EOF
}

PARTS=(issuer_key passes revocation_list day_at_the_gate journal sync id_cards what_next)
for p in "${PARTS[@]}"; do "part_$p"; done
