#!/usr/bin/env bash
# pn532-sim on a pseudo-terminal, opened by libnfc's real pn532_uart driver:
# nfc-list and nfc-mfultralight read it, gatectl writes and reads a pass card, gated admits
# the card once per tap, refuses a cloned card, and survives every injected fault.
set -euo pipefail
BIN=${GK_BIN_DIR:-build/bin}
# The TSan run builds gated only and takes the release gatectl and pn532-sim (tools/test.sh).
GATECTL=${GK_GATECTL:-$BIN/gatectl}
PN532_SIM=${GK_PN532_SIM:-$BIN/pn532-sim}
T=$(mktemp -d)
SIM_PID=""
cleanup() { [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$T/sim.err" ] && cat "$T/sim.err" >&2; exit 1; }
export LIBNFC_LOG_LEVEL=0
CONN="pn532_uart:$T/pn532"

make_card() {  # make_card FILE UID_HEX(14) : a blank NTAG215 (540 bytes), PWD/PACK zero
  local file=$1 uid=$2
  head -c 540 /dev/zero >"$file"
  local u=(); for i in 0 2 4 6 8 10 12; do u+=($((16#${uid:$i:2}))); done
  local bcc0=$((0x88 ^ u[0] ^ u[1] ^ u[2])) bcc1=$((u[3] ^ u[4] ^ u[5] ^ u[6]))
  printf "$(printf '\\x%02x' "${u[0]}" "${u[1]}" "${u[2]}" $bcc0 "${u[3]}" "${u[4]}" "${u[5]}" "${u[6]}" $bcc1 0x48)" \
    | dd of="$file" conv=notrunc status=none
  printf '\xe1\x10\x3e\x00\x03\x00\xfe' | dd of="$file" bs=1 seek=12 conv=notrunc status=none
}
ctl() { echo "$*" >"$T/ctl"; sleep 0.3; }

make_card "$T/card.bin" 04a1b2c3d4e5f6
make_card "$T/clone.bin" 04ffeeddccbbaa
$PN532_SIM --link "$T/pn532" --card "$T/card.bin" --control "$T/ctl" 2>"$T/sim.err" &
SIM_PID=$!
for _ in $(seq 50); do [ -e "$T/pn532" ] && [ -p "$T/ctl" ] && break; sleep 0.1; done

# libnfc's own tools.
LIBNFC_DEVICE=$CONN timeout 20 nfc-list >"$T/list" 2>/dev/null || fail "nfc-list"
grep -q "04  a1  b2  c3  d4  e5  f6" "$T/list" || fail "nfc-list did not list the UID: $(cat "$T/list")"
LIBNFC_DEVICE=$CONN timeout 30 nfc-mfultralight r "$T/dump.mfd" >/dev/null 2>&1 || fail "nfc-mfultralight r"
cmp -s "$T/dump.mfd" "$T/card.bin" || fail "nfc-mfultralight read different bytes"

# gatectl writes a pass bound to this card, and reads it back.
mkdir -p "$T/keys" "$T/trust"
$GATECTL keygen --out "$T/keys" >/dev/null
cp "$T/keys/issuer.pub" "$T/trust/"
$GATECTL issue --key "$T/keys/issuer.key" --site s1 --building 3 --unit 1 --name 李奶奶 \
  --card-uid 04a1b2c3d4e5f6 --json >"$T/issued.json"
sed -E 's/.*"pass":"([^"]*)".*/\1/' "$T/issued.json" >"$T/pass.txt"
id=$(sed -E 's/.*"id":"([0-9a-f]{32})".*/\1/' "$T/issued.json")
timeout 20 $GATECTL card write --device "$CONN" "$T/pass.txt" 2>/dev/null || fail "card write"
timeout 20 $GATECTL card read --device "$CONN" --json 2>/dev/null >"$T/read.json" || fail "card read"
grep -q "\"id\":\"$id\"" "$T/read.json" || fail "card read: $(cat "$T/read.json")"
grep -q '"type":"NTAG215"' "$T/read.json" || fail "card type"

# The same pass copied onto another card (a clone): same NDEF, other UID.
ctl remove
dd if="$T/card.bin" of="$T/clone.bin" bs=1 skip=12 seek=12 conv=notrunc status=none

# Faults: each ends in a clear error, never a crash or a hang; the next read recovers.
ctl place "$T/card.bin"
for fault in "lost_ack 1" "bad_checksum 3" "card_gone_after 2"; do
  ctl fault $fault
  set +e
  timeout 20 $GATECTL card read --device "$CONN" --json >"$T/f.json" 2>"$T/f.err"; rc=$?
  set -e
  [ $rc -lt 124 ] || fail "fault $fault: rc $rc (crash or hang)"
  ctl clear
  [[ $fault == card_gone* ]] && ctl place "$T/card.bin"
  timeout 20 $GATECTL card read --device "$CONN" --json >/dev/null 2>&1 || fail "no recovery after $fault"
done

# A UID-only card (no pass on it) enrolled at the property office, and a stranger's card.
make_card "$T/idcard.bin" 04102030405060
make_card "$T/stranger.bin" 04aaaaaaaaaaaa
$GATECTL issue --key "$T/keys/issuer.key" --site s1 --building 9 --unit 2 --name 王伯伯 \
  --card-uid 04102030405060 >"$T/enrolment.txt"

# gated on board sim with the card reader on libnfc: one decision per tap.
cat >"$T/gated.toml" <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "s1"
checkpoint = "nfc test"
[nfc]
connstring = "$CONN"
poll_ms = 100
enrolment_file = "enrolment.txt"
[screen]
listen = "127.0.0.1:0"
TOML
$BIN/gated --config "$T/gated.toml" >"$T/decisions.jsonl" 2>"$T/gated.err" &
GATED=$!
for _ in $(seq 200); do grep -q '"screen"' "$T/decisions.jsonl" && break; sleep 0.1; done
sleep 1.5                     # the card lies on the reader: one tap
ctl remove; sleep 0.5
ctl place "$T/clone.bin"; sleep 1.2   # the clone
ctl remove; sleep 0.5
ctl place "$T/card.bin"; sleep 1.2    # the real card again: a second tap
ctl remove; sleep 0.5
ctl place "$T/idcard.bin"; sleep 1.2  # the enrolled UID-only card
ctl remove; sleep 0.5
ctl place "$T/stranger.bin"; sleep 1.2
ctl remove; sleep 0.5
# The reader stops answering (the chip drops every frame): after five failed polls in a row
# gated reports the card reader failed, journals it and raises the device_failed alarm; once
# the chip answers again it reports the recovery. No decision comes of either.
ctl fault lost_ack 1000000
wait_line() {  # wait_line PATTERN SECONDS
  for _ in $(seq $(($2 * 10))); do grep -q "$1" "$T/decisions.jsonl" && return 0; sleep 0.1; done
  fail "no line matching $1 within $2 s: $(tail -3 "$T/decisions.jsonl")"
}
device_up() {  # the reader's gauge on /metrics (HTTP/1.0 over bash's /dev/tcp)
  local port
  port=$(sed -nE 's/.*"screen":\{"port":([0-9]+).*/\1/p' "$T/decisions.jsonl" | head -1)
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$port" >&3
  sed -nE 's/^gate_device_up\{device="card_reader"\} ([01])\r?$/\1/p' <&3
  exec 3>&-
}
wait_line '"device":"card_reader","error":"[a-z_]*","state":"failed"' 60
wait_line '"alarm":"device_failed"' 5
[ "$(device_up)" = 0 ] || fail "metrics do not show the reader down"
ctl clear
wait_line '"device":"card_reader","error":"none","state":"recovered"' 60
[ "$(device_up)" = 1 ] || fail "metrics do not show the reader up again"
kill -TERM $GATED; wait $GATED || true
grep '"decision"' "$T/decisions.jsonl" >"$T/decided.jsonl" || true  # alarms are events too
grep -c . "$T/decided.jsonl" >"$T/count" || true
[ "$(cat "$T/count")" = 5 ] || fail "expected 5 decisions, got: $(cat "$T/decisions.jsonl")"
[ "$(sed -n 4p "$T/decided.jsonl" | grep -c '"reason":"ok"')" = 1 ] || fail "enrolled card not admitted"
[ "$(sed -n 5p "$T/decided.jsonl" | grep -c '"reason":"card_not_enrolled"')" = 1 ] || fail "stranger card"
[ "$(sed -n 1p "$T/decided.jsonl" | grep -c '"reason":"ok"')" = 1 ] || fail "first tap not admitted"
[ "$(sed -n 2p "$T/decided.jsonl" | grep -c '"reason":"card_mismatch"')" = 1 ] || fail "clone not refused"
[ "$(sed -n 3p "$T/decided.jsonl" | grep -c '"reason":"ok"')" = 1 ] || fail "second tap not admitted"
grep -q '"credential":"card"' "$T/decisions.jsonl" || fail "credential kind"
# The five passages and the reader's failure.
$GATECTL journal verify "$T/state/journal.db" | grep -q '"rows":6' || fail "journal rows"
echo "nfc ok"
