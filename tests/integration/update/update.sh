#!/usr/bin/env bash
# Signed A/B updates with Debian's RAUC and the post-update health check, on the sim board:
#  1. gatectl health: a healthy sim kiosk, each failing component with its reason, the
#     upstream required or not (a live gate-upstream over pinned TLS, a closed port, a wrong pin);
#  2. bundles: a throw-away CA signs a bundle made by boards/rpi4-pn532/rauc/make-bundle.sh;
#     RAUC accepts it with the CA as keyring and refuses another CA's bundle, a signer without
#     the codeSigning purpose, a flipped payload byte and the wrong `compatible`;
#  3. install into A/B slot files through `rauc service` on a private D-Bus with the sim
#     custom boot-loader backend (boards/sim/rauc): a failed health check rolls back to A,
#     a passed one commits B. Also the Pi's tryboot backend against a fake autoboot.txt.
# Part 3 needs root and a loop device (RAUC loop-mounts the bundle); without them the test
# runs parts 1-2 and exits 77 (skipped).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/harness.sh"
fail() {
  echo "FAIL: $*" >&2
  for f in "$T"/*.log "$T"/*.out; do [ -f "$f" ] && { echo "--- $f" >&2; tail -8 "$f" >&2; }; done
  exit 1
}
for tool in rauc mksquashfs openssl dbus-daemon dbus-send sqlite3 veritysetup python3; do
  command -v "$tool" >/dev/null || fail "$tool missing (tools/setup.sh --deps installs it)"
done
cd "$T"

# expect RC CMD...: runs CMD, output in $T/cmd.out, fails unless it exits RC.
expect() {
  local want=$1 rc=0
  shift
  "$@" >cmd.out 2>&1 || rc=$?
  [ "$rc" = "$want" ] || fail "exit $rc (wanted $want): $*"
}
has() { grep -q -- "$1" cmd.out || fail "no '$1' in the output of the last command"; }

# ---------------------------------------------------------------- 1. gatectl health
SITE=site-1
NOW=$(date +%s)
mkdir -p frames trust state
"$BIN/gatectl" keygen --out issuer --site "$SITE" >/dev/null
cp issuer/issuer.pub trust/
PASS=$("$BIN/gatectl" issue --key issuer/issuer.key --site "$SITE" --building 5 --unit 2-301 \
  --valid-from "$NOW" --png frames/p.png --json | sed -E 's/.*"pass":"([^"]*)".*/\1/')
config() {  # config FILE [extra TOML]: a sim kiosk with camera frames, sim NFC and thermometer
  cat >"$1" <<TOML
board = "sim"
state_dir = "${STATE_DIR:-state}"
trust_dir = "trust"
[site]
id = "$SITE"
checkpoint = "test gate"
[camera]
source = "${CAMERA:-folder:frames}"
[nfc]
connstring = "${NFC:-sim}"
[gate]
record_file = "state/pulses.log"
${2:-}
TOML
}
config healthy.toml
# A journal with real passages (gated's scenario mode) for the chain check.
printf 'start_time = %s\n[[step]]\npass_text = "%s"\ntemperature = 36.6\nexpect = "ok"\n' \
  $((NOW + 10)) "$PASS" >scenario.toml
printf '[[step]]\npass_text = "%s"\ntemperature = 36.7\ndirection = "out"\nexpect = "ok"\n' \
  "$PASS" >>scenario.toml
"$BIN/gated" --config healthy.toml --scenario scenario.toml >scenario.out 2>scenario.log ||
  fail "scenario: $(tail -3 scenario.log)"

expect 0 "$BIN/gatectl" health --config healthy.toml
for c in camera nfc thermometer gate journal storage; do
  grep -q "^$c	ok	" cmd.out || fail "healthy sim board: $c not ok: $(cat cmd.out)"
done
has "chain of the last 2 row(s) verified"
has "upstream	skipped	not required: no \[sync\]"
expect 0 "$BIN/gatectl" health --config healthy.toml --json
has '"healthy":true'

CAMERA=folder:no-such-folder config bad-camera.toml
expect 1 "$BIN/gatectl" health --config bad-camera.toml
grep -q "^camera	failed	folder:no-such-folder: " cmd.out || fail "missing camera folder: $(cat cmd.out)"
grep -q "^nfc	ok" cmd.out || fail "one failure must not hide the other checks"
NFC=pn532_uart:/dev/gk-no-such-tty config bad-nfc.toml
expect 1 "$BIN/gatectl" health --config bad-nfc.toml
has "nfc	failed	.*cannot open the reader"
config bad-thermo.toml $'[thermometer]\nkind = "mlx90614"\ni2c_bus = "/dev/i2c-gk-missing"'
expect 1 "$BIN/gatectl" health --config bad-thermo.toml --json
has '"check":"thermometer","detail":"[^"]*","status":"failed"'
has '"healthy":false'
STATE_DIR=no-such-dir config bad-state.toml
expect 1 "$BIN/gatectl" health --config bad-state.toml
has "journal	failed	.*no-such-dir/journal.db: no such journal file"
has "storage	failed	state dir .*no-such-dir not writable: No such file or directory"
if [ "$(id -u)" != 0 ]; then  # (root writes through file modes)
  mkdir ro-state && cp state/journal.db ro-state/ && chmod 0500 ro-state
  STATE_DIR=ro-state config ro.toml
  expect 1 "$BIN/gatectl" health --config ro.toml
  has "storage	failed	state dir .*ro-state not writable: Permission denied"
  chmod 0700 ro-state
fi
expect 1 "$BIN/gatectl" health --config healthy.toml --min-free-mb 1000000000
has "storage	failed	.* MiB free in .*, need 1000000000"
cp state/journal.db journal.good
sqlite3 state/journal.db "UPDATE passages SET decision='deny' WHERE seq=2"
expect 1 "$BIN/gatectl" health --config healthy.toml
has "journal	failed	chain: row 2: .*does not match its hash (edited)"
cp journal.good state/journal.db
rm -f state/journal.db-wal state/journal.db-shm
head -c 4096 journal.good >state/journal.db  # a torn file: SQLite's own check refuses it
expect 1 "$BIN/gatectl" health --config healthy.toml
has "journal	failed	"
cp journal.good state/journal.db

# Upstream: not required -> an unreachable one is reported, not fatal; required -> fatal.
upstream_start up
"$BIN/gatectl" keygen --out dev --name device >/dev/null
upstream_cmd register --device kiosk-01 --key dev/device.pub --site "$SITE" >/dev/null
sync_toml() {  # sync_toml URL PIN
  printf '[sync]\nurl = "%s"\npin = "%s"\ndevice_id = "kiosk-01"\ndevice_key = "dev/device.key"\nauthority_key = "up/authority.pub"\ntimeout_s = 2\n' "$1" "$2"
}
config up-live.toml "$(sync_toml "https://127.0.0.1:$(cat up.port)" "$(cat up/tls.pin)")"
expect 0 "$BIN/gatectl" health --config up-live.toml --require-upstream
has "upstream	ok	127.0.0.1:$(cat up.port) answered, signed time"
# A closed port (the port of a listener we close again).
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
config up-down.toml "$(sync_toml "https://127.0.0.1:$CLOSED" "$(cat up/tls.pin)")"
expect 0 "$BIN/gatectl" health --config up-down.toml
has "upstream	skipped	not required; https://127.0.0.1:$CLOSED unreachable: "
expect 1 "$BIN/gatectl" health --config up-down.toml --require-upstream
has "upstream	failed	https://127.0.0.1:$CLOSED: .*connect"
# The live upstream behind the wrong pin is not "reachable": the pin is what makes it ours.
config up-pin.toml "$(sync_toml "https://127.0.0.1:$(cat up.port)" "sha256:$(printf '0%.0s' $(seq 64))")"
expect 1 "$BIN/gatectl" health --config up-pin.toml --require-upstream
has "upstream	failed	"
expect 1 "$BIN/gatectl" health --config healthy.toml --require-upstream
has "upstream	failed	required, but the config has no \[sync\] url"
# --rauc without rauc: the verdict is still printed, and why the slot could not be marked.
expect 1 "$BIN/gatectl" health --config healthy.toml --rauc --rauc-command "$T/no-such-rauc"
has "rauc	failed	mark-good: cannot run '$T/no-such-rauc': No such file or directory"
echo "update: health checks ok"

# ---------------------------------------------------------------- 2. signed bundles
# A dev CA (the device keyring) and a signer with the codeSigning purpose RAUC is told to
# require; another CA with its own signer; and a signer of our CA for e-mail, not code.
ca() {  # ca NAME
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.ca.key" -out "$1.ca.pem" -days 30 \
    -subj "/CN=$1 CA" -addext "basicConstraints=critical,CA:true" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
signer() {  # signer CA NAME EKU
  openssl req -newkey rsa:2048 -nodes -keyout "$2.key" -out "$2.csr" -subj "/CN=$2" 2>/dev/null
  printf 'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' \
    "$3" >"$2.ext"
  openssl x509 -req -in "$2.csr" -CA "$1.ca.pem" -CAkey "$1.ca.key" -CAcreateserial \
    -out "$2.pem" -days 30 -extfile "$2.ext" 2>/dev/null
}
ca dev && signer dev dev-signer codeSigning && signer dev mail-signer emailProtection
ca other && signer other other-signer codeSigning

# The sim board's RAUC files, with our CA as the keyring and two empty slot files.
cp -r "$SRC/boards/sim/rauc" sys
cp dev.ca.pem sys/keyring.pem
mkdir sys/slots && : >sys/slots/rootfs.0.img && : >sys/slots/rootfs.1.img
CONF=$T/sys/system.conf

# A small root file system: gated and an os-release.
mkdir -p rootfs/usr/bin rootfs/etc
cp "$BIN/gated" rootfs/usr/bin/gated
printf 'ID=gatekeeper\nVERSION_ID=2.0\n' >rootfs/etc/os-release
mksquashfs rootfs rootfs.img -all-root -noappend -quiet >/dev/null
MB=$SRC/boards/rpi4-pn532/rauc/make-bundle.sh
bundle() {  # bundle OUT SIGNER FORMAT [COMPATIBLE]
  "$MB" --rootfs rootfs.img --cert "$2.pem" --key "$2.key" --version 2.0 --out "$1" \
    --format "$3" --compatible "${4:-gatekeeper-sim}" >>bundle.log 2>&1 || fail "make-bundle $1"
}
bundle v2.raucb dev-signer plain
bundle v2-verity.raucb dev-signer verity
bundle other.raucb other-signer plain
bundle mail.raucb mail-signer plain
bundle wrong-compat.raucb dev-signer plain gatekeeper-rpi4-pn532

expect 0 rauc info --conf="$CONF" v2.raucb
has "Verified detached signature by 'CN = dev-signer'"
has "Compatible: 	'gatekeeper-sim'"
expect 0 rauc info --conf="$CONF" v2-verity.raucb
has "Verified inline signature by 'CN = dev-signer'"
expect 0 rauc info --keyring=dev.ca.pem --conf="$CONF" v2.raucb
expect 1 rauc info --conf="$CONF" other.raucb
has "signature verification failed"
expect 1 rauc info --conf="$CONF" mail.raucb
has "unsuitable certificate purpose"
# One flipped byte in the payload (the squashfs with the rootfs image).
cp v2.raucb flipped.raucb
printf '\xff' | dd of=flipped.raucb bs=1 seek=2000 conv=notrunc 2>/dev/null
cmp -s v2.raucb flipped.raucb && fail "the byte did not flip"
expect 1 rauc info --conf="$CONF" flipped.raucb
has "signature verification failed"
# A verity bundle signs only its manifest, which carries the dm-verity root hash of the
# payload: `rauc info` accepts a flipped payload byte, and the device's kernel refuses the
# block when `rauc install` reads it. No device-mapper here, so the same hash tree is
# checked in user space with veritysetup, against the root hash from the signed manifest.
verity_check() {  # verity_check BUNDLE: exit status of veritysetup verify
  local info total cms size salt root payload
  info=$(rauc info --conf="$CONF" "$1" 2>/dev/null) || return 3
  field() { sed -n "s/.*Verity $1:[[:space:]]*'\{0,1\}\([0-9a-f]*\)'\{0,1\}.*/\1/p" <<<"$info"; }
  salt=$(field Salt) root=$(field Hash) size=$(field Size)
  # [squashfs payload][hash tree: size][CMS signature][CMS length, 8 bytes big-endian]
  total=$(stat -c %s "$1")
  cms=$(tail -c 8 "$1" | od -An -tu8 --endian=big | tr -d ' ')
  payload=$((total - 8 - cms - size))
  veritysetup verify --no-superblock --format=1 --hash=sha256 --data-block-size=4096 \
    --hash-block-size=4096 --data-blocks=$((payload / 4096)) --hash-offset="$payload" \
    --salt="$salt" "$1" "$1" "$root" >>verity.log 2>&1
}
verity_check v2-verity.raucb || fail "veritysetup refuses the intact verity bundle"
cp v2-verity.raucb flipped-verity.raucb
printf '\xff' | dd of=flipped-verity.raucb bs=1 seek=2000 conv=notrunc 2>/dev/null
expect 0 rauc info --conf="$CONF" flipped-verity.raucb
rc=0 && verity_check flipped-verity.raucb || rc=$?
[ "$rc" = 2 ] || fail "the flipped verity payload byte is not detected (veritysetup rc $rc)"
echo "update: bundle signatures ok"

# ---------------------------------------------------------------- 3. install, A/B, rollback
# The Pi backend against a fake autoboot.txt and device tree (no RAUC involved).
pi=$SRC/boards/rpi4-pn532/rauc/tryboot-backend.sh
mkdir -p pi/dt
printf '[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n' >pi/autoboot.txt
# shellcheck disable=SC2059  # the byte is built into the format on purpose
dt() { printf "\\x00\\x00\\x00\\x$(printf %02x "$1")" >"pi/dt/$2"; }  # 32-bit big-endian
export GK_TRYBOOT_AUTOBOOT=$T/pi/autoboot.txt GK_TRYBOOT_STATE=$T/pi/state GK_TRYBOOT_DT=$T/pi/dt
export GK_TRYBOOT_REBOOT="echo reboot" GK_TRYBOOT_RAUC=true
dt 2 partition && dt 0 tryboot
[ "$("$pi" get-primary)" = A ] && [ "$("$pi" get-current)" = A ] || fail "pi: booted from A"
"$pi" set-state B bad && "$pi" set-primary B
[ "$("$pi" get-primary)" = B ] && [ "$("$pi" get-state B)" = good ] || fail "pi: B armed"
[ "$("$pi" reboot)" = "reboot 0 tryboot" ] || fail "pi: an armed update reboots with tryboot"
[ "$("$pi" reboot)" = "reboot" ] || fail "pi: tryboot is armed once"
dt 3 partition && dt 1 tryboot  # the firmware started B once
"$pi" is-trying || fail "pi: is-trying during a tryboot"
[ "$(SERVICE_RESULT=exit-code "$pi" after-health 2>/dev/null)" = reboot ] || fail "pi: failed check reboots"
[ -z "$(SERVICE_RESULT=success "$pi" after-health)" ] || fail "pi: a passed check does not reboot"
"$pi" set-state B good
grep -qx boot_partition=3 <(sed -n '/^\[all\]/,/^\[tryboot\]/p' pi/autoboot.txt) ||
  fail "pi: mark-good commits B: $(cat pi/autoboot.txt)"
dt 0 tryboot  # an ordinary boot of the committed B
"$pi" is-trying && fail "pi: a committed slot is not a try"
[ -z "$(SERVICE_RESULT=exit-code "$pi" after-health)" ] || fail "pi: no reboot outside a try"
"$pi" set-state B bad  # the committed slot goes bad: back to A, which is good
grep -qx boot_partition=2 <(sed -n '/^\[all\]/,/^\[tryboot\]/p' pi/autoboot.txt) ||
  fail "pi: mark-bad of the default falls back to A"
unset GK_TRYBOOT_AUTOBOOT GK_TRYBOOT_STATE GK_TRYBOOT_DT GK_TRYBOOT_REBOOT GK_TRYBOOT_RAUC
echo "update: tryboot backend ok"

if [ "$(id -u)" != 0 ] || [ ! -e /dev/loop-control ]; then
  echo "SKIPPED: rauc install needs root and a loop device (RAUC loop-mounts the bundle)"
  exit 77
fi
# RAUC's install and mark-* go through its D-Bus service: a private bus, for this test only.
dbus-daemon --session --nofork --print-address=3 3>bus.addr 2>dbus.log &
PIDS+=($!)
for _ in $(seq 100); do [ -s bus.addr ] && break; sleep 0.05; done
export DBUS_SESSION_BUS_ADDRESS DBUS_STARTER_BUS_TYPE=session GK_AB_STATE=$T/ab.state
DBUS_SESSION_BUS_ADDRESS=$(head -1 bus.addr)
AB=$T/sys/ab-backend.sh
SERVICE=
boot() {  # a simulated reboot: the backend picks the slot, RAUC's service restarts on it
  [ -z "$SERVICE" ] || { kill "$SERVICE"; wait "$SERVICE" 2>/dev/null || true; }
  local slot
  slot=$("$AB" boot)
  rauc service --conf="$CONF" --mount="$T/mnt" --override-boot-slot="$slot" >>service.log 2>&1 &
  SERVICE=$!
  PIDS+=("$SERVICE")
  for _ in $(seq 100); do  # until the service owns its bus name
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:de.pengutronix.rauc 2>/dev/null |
      grep -q "boolean true" && break
    sleep 0.1
  done
  rauc status >status.out 2>&1 || fail "rauc service did not come up"
  grep -q "Booted from: rootfs.$([ "$slot" = A ] && echo 0 || echo 1) ($slot)" status.out ||
    fail "booted from $slot: $(cat status.out)"
}
state() { grep -qx "$1" "$GK_AB_STATE" || fail "A/B state lacks $1: $(tr '\n' ' ' <"$GK_AB_STATE")"; }
mkdir mnt
"$AB" init
boot

expect 1 rauc install wrong-compat.raucb
has "Compatible mismatch"
expect 1 rauc install other.raucb
has "signature verification failed"
[ ! -s sys/slots/rootfs.1.img ] || fail "a refused bundle wrote to slot B"

# A bad update: installed into B, tried once, the health check fails -> back to A.
expect 0 rauc install v2.raucb
cmp sys/slots/rootfs.1.img rootfs.img || fail "slot B does not hold the new image"
[ ! -s sys/slots/rootfs.0.img ] || fail "the booted slot A was written"
state try=B && state default=A
boot
state booted=B && state trying=B
CAMERA=folder:no-such-folder config broken.toml
expect 1 "$BIN/gatectl" health --config broken.toml --rauc
has "camera	failed"
has "rauc	ok	mark-bad"
state state_B=bad && state trying= && state default=A
boot
state booted=A

# A good update: B again, tried, healthy -> committed, and every later boot starts B.
expect 0 rauc install v2.raucb
state try=B
boot
expect 0 "$BIN/gatectl" health --config healthy.toml --rauc --json
has '"rauc":{"command":"mark-good","ok":true'
state state_B=good && state default=B && state trying=
boot
state booted=B
rauc status --output-format=json >status.json 2>/dev/null || fail "rauc status json"
grep -q '"booted":"B"' status.json || fail "RAUC does not see B booted: $(cat status.json)"
echo "update: install, rollback and commit ok"
