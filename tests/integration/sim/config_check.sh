#!/usr/bin/env bash
# `gated config check` refuses exactly what `gated` refuses to start with, and in the same
# words: each broken config below is refused by both (the check first, then a real start on
# board sim), and a good one passes both. Config errors carry file:line:column.
set -uo pipefail
BIN=${GK_BIN_DIR:-build/bin}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
failures=0
mkdir trust state
"$BIN/gatectl" keygen --out k --site site-1 >/dev/null
cp k/issuer.pub trust/
"$BIN/gatectl" issue --key k/issuer.key --site site-1 --role staff --name 王保安 >staff.txt
echo 246810 | "$BIN/gatectl" guard add --file guards staff.txt >/dev/null
cp guards guards-open && chmod 644 guards-open
cp k/issuer.key open.key && chmod 644 open.key
base() {
  printf 'board = "sim"\nstate_dir = "state"\ntrust_dir = "trust"\n[site]\nid = "site-1"\n'
  printf 'checkpoint = "%s"\n' "${CHECKPOINT:-北门}"
}
SYNC='[sync]\nurl = "https://127.0.0.1:9"\npin = "sha256:%064d"\ndevice_id = "d"\nauthority_key = "k/issuer.pub"\n'
# case NAME EXPECTED-TEXT EXTRA-TOML
case_() {
  local name=$1 want=$2 extra=$3
  { base; printf "$extra"; } >"$name.toml"
  local check_rc start_rc
  "$BIN/gated" config check "$name.toml" >check.out 2>check.err; check_rc=$?
  timeout 5 "$BIN/gated" --config "$name.toml" >start.out 2>start.err; start_rc=$?
  if [ "$want" = ok ]; then
    [ "$check_rc" = 0 ] && [ "$start_rc" = 124 ] ||
      { echo "FAIL $name: a good config: check rc $check_rc, gated rc $start_rc"; cat check.err start.err; failures=$((failures + 1)); }
    return
  fi
  if [ "$check_rc" = 0 ] || [ "$start_rc" = 0 ] || [ "$start_rc" = 124 ]; then
    echo "FAIL $name: check rc $check_rc, gated rc $start_rc (both must refuse)"
    cat check.err start.err; failures=$((failures + 1)); return
  fi
  grep -qF -- "$want" check.err || { echo "FAIL $name: check said: $(cat check.err)"; failures=$((failures + 1)); }
  grep -qF -- "$want" start.err || { echo "FAIL $name: gated said: $(cat start.err)"; failures=$((failures + 1)); }
}
case_ good ok ''
case_ camera_usb "camera_usb.toml:8:10: camera.source: 'usb:0' is not none" '[camera]\nsource = "usb:0"\n'
case_ port_negative "port_negative.toml:8:10: console.listen: port must be 0..65535" \
  '[console]\nlisten = "127.0.0.1:-1"\nguards_file = "guards"\n'
case_ port_name "port_name.toml:8:10: screen.listen: 'localhost' is not an IPv4 address" \
  '[screen]\nlisten = "localhost:8080"\n'
case_ lan_console "lan_console.toml:8:10: console.listen: a LAN address needs tls_cert" \
  '[console]\nlisten = "0.0.0.0:8081"\nguards_file = "guards"\n'
CHECKPOINT='a\u0000b' case_ nul_checkpoint \
  "nul_checkpoint.toml:6:14: site.checkpoint must not hold control characters" ''
echo 'not json' >trust/broken.pub
case_ trust_not_json "trust_dir: trust/broken.pub: public key is not JSON" ''
rm trust/broken.pub
case_ guards_open "[console] guards_file: guards-open: readable by group or others" \
  '[console]\nlisten = "127.0.0.1:0"\nguards_file = "guards-open"\n'
case_ device_key_open "[sync] device_key: open.key: readable by group or others" \
  "$(printf "$SYNC" 0)\ndevice_key = \"open.key\"\n"
case_ tls_missing "[console] TLS:" \
  '[console]\nlisten = "0.0.0.0:0"\nguards_file = "guards"\ntls_cert = "none.pem"\ntls_key = "none.key"\n'
echo "$failures failures"
[ "$failures" = 0 ]
