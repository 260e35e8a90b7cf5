#!/usr/bin/env bash
# A technician provisions a device against the reference upstream; gated runs only as the
# checkpoint its signed bundle names, and refuses every bundle or config that does not match.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/harness.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$T"

"$BIN/gate-upstream" init --dir up >/dev/null
"$BIN/gatectl" keygen --out root --name root >/dev/null        # the provisioning root
"$BIN/gatectl" keygen --out other --name root >/dev/null       # someone else's root
"$BIN/gatectl" keygen --out issuer --site site-1 >/dev/null    # the pass issuer
"$BIN/gate-upstream" serve --dir up --listen 127.0.0.1:0 --port-file up.port 2>up.log &
PIDS+=("$!")
wait_file up.port
URL="https://127.0.0.1:$(cat up.port)"

provision() {  # provision OUT [extra args]: a bundle for site-1's north gate
  local out=$1; shift
  "$BIN/gatectl" provision --root-key root/root.key --device-id north-1 --site site-1 \
    --checkpoint "莲花北村北门" --trust issuer/issuer.pub --upstream "$URL" --register up \
    --out "$out" "$@"
}
mkdir dev
provision dev/provision.bundle --json >provision.json
grep -q '"registered":true' provision.json || fail "not registered: $(cat provision.json)"
# The registration is in the audit log like an operator's, as the host's own "local".
[ "$(sqlite3 up/upstream.db "SELECT operator, action, target, outcome FROM audit")" = \
  "local|register_device|north-1|ok" ] || fail "registration not audited: $(sqlite3 up/upstream.db 'SELECT * FROM audit')"
[ "$(stat -c %a dev/provision.bundle)" = 600 ] || fail "bundle is not 0600"
grep -q '"secret_key"' dev/provision.bundle || fail "bundle carries no device key"
provision dev/provision.bundle 2>err.txt && fail "a registered device id was provisioned again"
grep -q "already registered upstream" err.txt || fail "re-registration refusal: $(cat err.txt)"
provision dev/provision.bundle --replace 2>err.txt && fail "an existing bundle was overwritten"
grep -q "refusing to overwrite" err.txt || fail "overwrite refusal: $(cat err.txt)"
# A checkpoint or id the rest of the system would refuse is refused before anything is
# written: no bundle, no registration, no audit row (each of gatectl's own rules, the ones
# the bundle is opened by, gated's config read by and the upstream registers by).
long=$(printf '门%.0s' $(seq 86))  # 258 bytes
for bad in "--checkpoint=$long" "--device-id=north\\2" "--site=site\"1"; do
  args=(--root-key root/root.key --device-id north-2 --site site-1 --checkpoint 北门
    --trust issuer/issuer.pub --upstream "$URL" --register up --out dev/refused.bundle)
  case $bad in
    --checkpoint=*) args[7]=${bad#--checkpoint=} ;;
    --device-id=*) args[3]=${bad#--device-id=} ;;
    --site=*) args[5]=${bad#--site=} ;;
  esac
  "$BIN/gatectl" provision "${args[@]}" 2>err.txt && fail "provisioned with $bad"
  grep -Eq "longer than 256 bytes|no control characters, quotes or backslashes" err.txt ||
    fail "refusal of $bad: $(cat err.txt)"
  [ ! -e dev/refused.bundle ] || fail "a bundle was written for $bad"
  [ "$(sqlite3 up/upstream.db "SELECT COUNT(*) FROM audit")" = 1 ] || fail "$bad reached the upstream"
done

config() {  # config FILE BUNDLE ROOT_PUB [extra TOML]
  cat >"$1" <<TOML
board = "sim"
state_dir = "state-$(basename "$1" .toml)"
[gate]
record_file = "pulses-$(basename "$1" .toml).log"
[provisioning]
bundle = "$2"
root_key = "$3"
${4:-}
TOML
}
config good.toml dev/provision.bundle root/root.pub
"$BIN/gated" config check good.toml >check.txt || fail "config check: $(cat check.txt)"
grep -q "provisioned as device north-1" check.txt || fail "check output: $(cat check.txt)"
grep -q "site site-1, checkpoint 莲花北村北门" check.txt || fail "site from bundle: $(cat check.txt)"

# First start installs the identity; the device then syncs with the upstream it was bound to.
"$BIN/gated" sync --config good.toml 2>sync.err || fail "sync as the provisioned device: $(cat sync.err)"
[ "$(stat -c %a state-good/provisioned/device.key)" = 600 ] || fail "device.key is not 0600"
[ "$(stat -c %a state-good/provisioned)" = 700 ] || fail "provisioned/ is not 0700"
sqlite3 up/upstream.db "SELECT COUNT(*) FROM devices WHERE id='north-1'" | grep -qx 1 \
  || fail "device not in the upstream"

# Passes of the issuer the bundle names are trusted; the gate opens.
PASS=$("$BIN/gatectl" issue --key issuer/issuer.key --site site-1 --building 5 --unit 2-301 \
  --valid-from "$(date +%s)" --json | sed -E 's/.*"pass":"([^"]*)".*/\1/')
printf 'start_time = %s\n[[step]]\npass_text = "%s"\nexpect = "ok"\n' $(($(date +%s) + 10)) "$PASS" >ok.toml
"$BIN/gated" --config good.toml --scenario ok.toml >ok.jsonl 2>ok.err || fail "admit: $(cat ok.err)"
grep -q '"gate":"莲花北村北门"' ok.jsonl || fail "checkpoint name from the bundle: $(cat ok.jsonl)"

# gatectl status reads the same state, safely while gated runs: one admitted passage, not yet
# uploaded, lists as of the sync round above.
"$BIN/gatectl" status --config good.toml --json >status.json || fail "status"
for want in '"device_id":"north-1"' '"provisioned":true' '"head_seq":1' '"backlog":1' \
  '"checkpoint":"莲花北村北门"' '"version":"' '"revocations":[0-9]'; do
  grep -Eq "$want" status.json || fail "status lacks $want: $(cat status.json)"
done

# The live daemon serves Prometheus metrics on its loopback screen server.
sed 's/^state_dir = "state-good"/state_dir = "state-live"/' good.toml >live.toml
printf '[screen]\nlisten = "127.0.0.1:0"\n' >>live.toml
"$BIN/gated" --config live.toml >live.out 2>live.err &
LIVE=$!
for _ in $(seq 100); do grep -q '"screen"' live.out 2>/dev/null && break; sleep 0.05; done
port=$(sed -nE 's/.*"screen":\{"port":([0-9]+).*/\1/p' live.out | head -1)
[ -n "$port" ] || { kill $LIVE; fail "no screen port: $(cat live.err)"; }
metrics() {  # plain HTTP/1.0 GET over bash's /dev/tcp: no client to install
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$port" >&3
  cat <&3
  exec 3<&-
}
for _ in $(seq 60); do metrics >metrics.txt; grep -q 'gate_sync_rounds_total{result="ok"} 1' metrics.txt && break; sleep 0.1; done
kill $LIVE; wait $LIVE 2>/dev/null || true
for want in 'gate_build_info\{version="[0-9.]+",board="sim",site="site-1"' \
  'gate_sync_rounds_total\{result="ok"\} 1' 'gate_sync_backlog_passages 0' \
  'gate_revocation_list_age_seconds [0-9]+' '# TYPE gate_decisions_total counter'; do
  grep -Eq "$want" metrics.txt || fail "metrics lack $want: $(cat metrics.txt)"
done

refused() {  # refused NAME PATTERN: gated must refuse to start, saying PATTERN
  set +e
  "$BIN/gated" --config "$1.toml" --scenario ok.toml >/dev/null 2>"$1.err"; local rc=$?
  set -e
  [ $rc -ne 0 ] || fail "$1: gated started"
  [ $rc -lt 3 ] || fail "$1: gated crashed (rc $rc): $(cat "$1.err")"
  grep -q -- "$2" "$1.err" || fail "$1: expected '$2', got: $(cat "$1.err")"
  "$BIN/gated" config check "$1.toml" >/dev/null 2>&1 && fail "$1: config check passed"
  return 0
}
config other-root.toml dev/provision.bundle other/root.pub
refused other-root "document/unknown_signer"

# A manifest edited after signing (another site) no longer verifies.
sed 's/\\"site\\":\\"site-1\\"/\\"site\\":\\"site-2\\"/' dev/provision.bundle >tampered.bundle
chmod 600 tampered.bundle
cmp -s tampered.bundle dev/provision.bundle && fail "tampering did not change the bundle"
config tampered.toml tampered.bundle root/root.pub
refused tampered "document/bad_signature"

config wrong-site.toml dev/provision.bundle root/root.pub $'[site]\nid = "site-2"'
refused wrong-site "document/refused: the provisioning bundle is for site site-1"
config wrong-url.toml dev/provision.bundle root/root.pub $'[sync]\nurl = "https://10.0.0.1:443"'
refused wrong-url "disagree on \[sync\] url"
mkdir -p dev2
"$BIN/gatectl" provision --root-key root/root.key --device-id north-2 --site site-1 --checkpoint x \
  --board rpi4-pn532 --trust issuer --authority-key up/authority.pub --out dev2/rpi.bundle >/dev/null
config wrong-board.toml dev2/rpi.bundle root/root.pub
refused wrong-board "document/refused: the provisioning bundle is for board rpi4-pn532"

cp dev/provision.bundle open.bundle && chmod 644 open.bundle
config open.toml open.bundle root/root.pub
refused open "document/insecure: open.bundle: readable by group or others"
printf '{"format":"gk-provision-bundle-v1","manifest":[1,2' >garbage.bundle && chmod 600 garbage.bundle
config garbage.toml garbage.bundle root/root.pub
refused garbage "not a JSON object"

# A key dropped into the installed trust folder is not the bundle's trust root.
cp -r state-good state-extra && cp good.toml extra.toml
sed -i 's/state-good/state-extra/' extra.toml
"$BIN/gatectl" keygen --out intruder >/dev/null
cp intruder/issuer.pub state-extra/provisioned/trust/zz-intruder.pub
refused extra "not the pass issuers the provisioning bundle names"
echo "provision ok"
