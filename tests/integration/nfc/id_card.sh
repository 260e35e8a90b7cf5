#!/usr/bin/env bash
# Resident ID cards over plain NFC, through libnfc's real pn532_uart driver against
# pn532-sim: nfc-list lists the card as ISO14443B; gatectl reads it (serial masked unless
# asked), enrols it by the site-keyed hash of its serial; gated admits the enrolled card
# once per placement, refuses an unknown one (card_not_enrolled), and a pass card still
# works next to it (type A and type B polled in turn). Then the serials are searched for in
# every file gated wrote and every stream: they must appear nowhere in clear.
set -euo pipefail
source "$(dirname "$0")/../../lib/harness.sh"
PN532_SIM=${GK_PN532_SIM:-$BIN/pn532-sim}
fail() { echo "FAIL: $*" >&2; [ -f "$T/sim.err" ] && cat "$T/sim.err" >&2; [ -f "$T/gated.err" ] && tail -20 "$T/gated.err" >&2; exit 1; }
export LIBNFC_LOG_LEVEL=0
CONN="pn532_uart:$T/pn532"
SERIAL=0123456789abcdef    # the enrolled resident's card
STRANGER=fedcba9876543210  # a card nobody enrolled
ctl() { echo "$*" >"$T/ctl"; sleep 0.3; }

$PN532_SIM --link "$T/pn532" --id-card $SERIAL --control "$T/ctl" 2>"$T/sim.err" &
PIDS+=("$!")
for _ in $(seq 50); do [ -e "$T/pn532" ] && [ -p "$T/ctl" ] && break; sleep 0.1; done

# libnfc's own nfc-list: an ISO 14443-B target whose PUPI is 00000000.
LIBNFC_DEVICE=$CONN timeout 30 nfc-list >"$T/list" 2>&1 || fail "nfc-list: $(cat "$T/list")"
grep -q "ISO14443B passive target(s) found" "$T/list" || fail "nfc-list did not list an ISO14443B target: $(cat "$T/list")"
grep -q "PUPI: 00  00  00  00" "$T/list" || fail "PUPI: $(cat "$T/list")"
grep -q "Application Data: d1  03  86  0c" "$T/list" || fail "application data: $(cat "$T/list")"

# gatectl card read: the type, the serial masked; unmasked only when asked.
timeout 20 $GATECTL card read --device "$CONN" --json >"$T/read.json" 2>"$T/read.err" || fail "card read: $(cat "$T/read.err")"
grep -q '"type":"resident_id_card"' "$T/read.json" || fail "type: $(cat "$T/read.json")"
grep -q '"serial":"01\*\*\*\*\*\*\*\*\*\*\*\*ef"' "$T/read.json" || fail "masked serial: $(cat "$T/read.json")"
timeout 20 $GATECTL card read --device "$CONN" --json --show-serial >"$T/read2.json" 2>/dev/null || fail "card read --show-serial"
grep -q "\"serial\":\"$SERIAL\"" "$T/read2.json" || fail "serial: $(cat "$T/read2.json")"
# An ID card holds no pass: writing one is refused, clearly.
$GATECTL keygen --out "$T" >/dev/null
mkdir -p "$T/trust" && cp "$T/issuer.pub" "$T/trust/"
$GATECTL issue --key "$T/issuer.key" --site s1 --name 王 >"$T/plain.txt"
set +e
timeout 20 $GATECTL card write --device "$CONN" "$T/plain.txt" >/dev/null 2>"$T/write.err"; rc=$?
set -e
[ $rc = 1 ] && grep -q "cannot hold a pass" "$T/write.err" || fail "card write onto an ID card: rc $rc $(cat "$T/write.err")"

# Enrolment at the property office: the site key, then the card on the reader.
$GATECTL card id-key --out "$T/id.key"
[ "$(stat -c %a "$T/id.key")" = 600 ] || fail "id.key mode"
timeout 20 $GATECTL card enrol --device "$CONN" --id-key "$T/id.key" --key "$T/issuer.key" \
  --site s1 --building 5 --unit 302 --name 张三丰 --out "$T/enrolment.txt" --json >"$T/enrol.json" 2>"$T/enrol.err" \
  || fail "card enrol: $(cat "$T/enrol.err")"
grep -q '"enrolled":true' "$T/enrol.json" || fail "enrol: $(cat "$T/enrol.json")"
[ "$(grep -c . "$T/enrolment.txt")" = 1 ] || fail "one enrolment line"
[ "$(stat -c %a "$T/enrolment.txt")" = 600 ] || fail "enrolment file mode"
$GATECTL verify --trust "$T/trust" "$T/enrolment.txt" >"$T/verify.json" || fail "enrolled pass does not verify"
grep -q '"card_uid":"[0-9a-f]\{32\}"' "$T/verify.json" || fail "binding: $(cat "$T/verify.json")"

# A pass card (type A) next to the ID cards: both kinds polled in turn.
head -c 540 /dev/zero >"$T/ntag.bin"
printf '\x04\xa1\xb2\x9f\xc3\xd4\xe5\xf6\x04\x48' | dd of="$T/ntag.bin" conv=notrunc status=none
printf '\xe1\x10\x3e\x00\x03\x00\xfe' | dd of="$T/ntag.bin" bs=1 seek=12 conv=notrunc status=none
$GATECTL issue --key "$T/issuer.key" --site s1 --building 3 --name 李奶奶 --card-uid 04a1b2c3d4e5f6 >>"$T/enrolment.txt"

cat >"$T/gated.toml" <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "s1"
checkpoint = "id card test"
[nfc]
connstring = "$CONN"
poll_ms = 100
enrolment_file = "enrolment.txt"
id_card_key = "id.key"
[screen]
listen = "127.0.0.1:0"
TOML
ctl remove
$BIN/gated --config "$T/gated.toml" >"$T/decisions.jsonl" 2>"$T/gated.err" &
GATED=$!
PIDS+=("$GATED")
for _ in $(seq 200); do grep -q '"screen"' "$T/decisions.jsonl" && break; sleep 0.1; done
decisions() { grep -c '"decision"' "$T/decisions.jsonl" || true; }
wait_decisions() {  # wait_decisions N
  for _ in $(seq 100); do [ "$(decisions)" -ge "$1" ] && return 0; sleep 0.1; done
  fail "expected $1 decisions, got: $(cat "$T/decisions.jsonl")"
}
ctl id-card $SERIAL; wait_decisions 1
sleep 1                              # the card stays on the reader: still one decision
ctl remove; sleep 0.3
ctl id-card $STRANGER; wait_decisions 2
ctl remove; sleep 0.3
ctl place "$T/ntag.bin"; wait_decisions 3
ctl remove; sleep 0.3
ctl id-card $SERIAL; wait_decisions 4   # placed again: a second passage
ctl remove; sleep 0.3
kill -TERM $GATED; wait $GATED || true
grep '"decision"' "$T/decisions.jsonl" >"$T/decided.jsonl"
[ "$(grep -c . "$T/decided.jsonl")" = 4 ] || fail "expected 4 decisions: $(cat "$T/decided.jsonl")"
line() { sed -n "$1p" "$T/decided.jsonl"; }
line 1 | grep -q '"reason":"ok"' || fail "enrolled ID card not admitted: $(line 1)"
line 1 | grep -q '"credential":"id_card"' || fail "credential kind: $(line 1)"
line 1 | grep -q '张\*\*' || fail "holder masked: $(line 1)"
line 2 | grep -q '"reason":"card_not_enrolled"' || fail "unknown ID card: $(line 2)"
line 3 | grep -q '"reason":"ok"' || fail "UID card next to ID cards: $(line 3)"
line 4 | grep -q '"reason":"ok"' || fail "second placement: $(line 4)"
$GATECTL journal verify "$T/state/journal.db" | grep -q '"rows":4' || fail "journal rows"
$GATECTL journal export --format csv "$T/state/journal.db" >"$T/journal.csv"
[ "$(grep -c ',id_card,' "$T/journal.csv")" = 3 ] || fail "journal credential kinds: $(cat "$T/journal.csv")"

# Privacy: neither serial, in any case or byte order, in any file gated wrote (database,
# WAL, status) nor on any stream; the enrolment file holds only the keyed hash.
needles=("$SERIAL" "${SERIAL^^}" "$STRANGER" "${STRANGER^^}" "01 23 45 67" "0123456789")
for n in "${needles[@]}"; do
  if grep -rlF -- "$n" "$T/state" "$T/decisions.jsonl" "$T/gated.err" "$T/enrolment.txt" "$T/enrol.json" "$T/read.json" "$T/journal.csv"; then
    fail "serial $n found in clear"
  fi
done
# And as raw bytes (a BLOB column would not show as hex).
for s in $SERIAL $STRANGER; do
  bin=$(printf "$(echo $s | sed 's/../\\x&/g')")
  if LC_ALL=C grep -rlaF -- "$bin" "$T/state"; then fail "serial $s found as bytes"; fi
done
echo "id card ok"
