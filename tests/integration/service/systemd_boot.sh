#!/usr/bin/env bash
# The service as installed, under a real systemd: a Debian 12 root with systemd as PID 1
# (debootstrap minbase + systemd, systemd-sysv, dbus), booted in a container with
# systemd-nspawn; the gatekeeper .deb installed there with apt (its dependency closure counted);
# then, through systemctl and journalctl inside the container:
#   1. `systemctl start gated` returns once gated sent READY=1 (Type=notify), timed;
#   2. a stalled gated (SIGSTOP: no more WATCHDOG=1 pings) is killed by the watchdog after
#      WatchdogSec and restarted by Restart=on-failure (NRestarts 1, a new main PID, ready);
#   3. `journalctl -u gated` carries the native fields (GK_EVENT, GK_REASON, GK_SEQ) and no
#      personal data;
#   4. `systemctl stop gated` is clean.
# Every command's output goes to the log; what each step showed is printed.
#
#   tests/integration/service/systemd_boot.sh        (as root; GK_BUILD_DIR defaults to build)
# Needs: root, debootstrap, systemd-nspawn (package systemd-container), nsenter, the Debian
# mirror, and a build tree with gated, gatectl and pn532-sim (cpack makes the .deb from it).
# ~3-5 min (debootstrap and package downloads are cached under $GK_BUILD_DIR/systemd-test).
# Run before each release; ctest runs it with -L package (tools/test.sh -L package).
set -euo pipefail
BUILD=$(cd "${GK_BUILD_DIR:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
MIRROR=${GK_DEBIAN_MIRROR:-$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
CACHE="$BUILD/systemd-test"
T=$(mktemp -d /var/tmp/gk-systemd.XXXXXX)
ROOT="$T/root"
LOG="$T/log"
nspawn=""
cleanup() {
  if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
    kill -TERM "$nspawn" 2>/dev/null || true  # nspawn asks the container's systemd to power off
    for _ in $(seq 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$nspawn" 2>/dev/null || true
  fi
  if grep -q " $ROOT/" /proc/mounts; then echo "systemd_boot: mounts left under $ROOT, not removing" >&2; return; fi
  [ -n "${GK_KEEP:-}" ] && { echo "kept: $T"; return; }
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- last lines of $LOG:" >&2; tail -n 40 "$LOG" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (debootstrap, systemd-nspawn)"; exit 0; }
for tool in debootstrap systemd-nspawn nsenter cpack; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 0; }
done
start=$SECONDS
say() { printf 'systemd_boot: [%3d s] %s\n' "$((SECONDS - start))" "$*"; }

# 1. The package and a root with systemd (the pristine root cached as a tarball).
(cd "$BUILD" && cpack -G DEB -B "$T/pkg") >>"$LOG" 2>&1 || fail "cpack"
deb=$(ls "$T"/pkg/gatekeeper_*.deb)
say "package $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB"
mkdir -p "$CACHE/archives" "$ROOT"
if [ ! -s "$CACHE/bookworm-systemd.tar" ]; then
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$T/fresh" "$MIRROR" \
    >>"$LOG" 2>&1 || fail "debootstrap"
  tar -C "$T/fresh" -cf "$CACHE/bookworm-systemd.tar.part" . && mv "$CACHE/bookworm-systemd.tar.part" "$CACHE/bookworm-systemd.tar"
  rm -rf "$T/fresh"
fi
tar -C "$ROOT" -xf "$CACHE/bookworm-systemd.tar"
[ -f /etc/apt/sources.list.d/debian.sources ] && cp /etc/apt/sources.list.d/debian.sources "$ROOT/etc/apt/sources.list.d/" && rm -f "$ROOT/etc/apt/sources.list"
# Not /tmp: the booted systemd mounts a fresh tmpfs there.
cp "$deb" "$ROOT/var/tmp/gatekeeper.deb"
# apt's downloads survive the run (the root is thrown away): bind-mounted by nspawn below.
say "root with systemd ready (debootstrap minbase + systemd, systemd-sysv, dbus)"

# 2. Boot it: systemd as PID 1 of the container. --register=no --keep-unit: this machine has
# no system bus for machined; the host's network is shared (apt needs the mirror).
systemd-nspawn --register=no --keep-unit --quiet -D "$ROOT" --boot --console=pipe \
  --bind="$CACHE/archives:/var/cache/apt/archives" --resolv-conf=copy-host >"$T/console" 2>&1 &
nspawn=$!
pid1=""
for _ in $(seq 100); do
  pid1=$(pgrep -P "$nspawn" | head -n 1 || true)
  [ -n "$pid1" ] && [ "$(cat "/proc/$pid1/comm" 2>/dev/null)" = systemd ] && break
  sleep 0.1
done
[ -n "$pid1" ] || fail "no container init under systemd-nspawn ($(cat "$T/console"))"
in_c() { nsenter -t "$pid1" -m -u -i -n -p -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
state=""
for _ in $(seq 120); do
  state=$(in_c systemctl is-system-running 2>/dev/null || true)
  [[ $state == running || $state == degraded ]] && break
  sleep 0.5
done
[[ $state == running || $state == degraded ]] || fail "the container's systemd is '$state'"
say "booted: PID 1 in the container is $(in_c cat /proc/1/comm), system state '$state'"

# 3. Install the .deb with apt, as on a kiosk; count what it brought.
pkgs() { in_c dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Installed-Size}\n' | awk '$1 == "ii" { print $2, $3 }' | sort; }
pkgs >"$T/before.txt"
in_c sh -c 'apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends install /var/tmp/gatekeeper.deb' >>"$LOG" 2>&1 ||
  fail "apt-get install of the package"
pkgs >"$T/after.txt"
comm -13 "$T/before.txt" "$T/after.txt" >"$T/added.txt"
added_kib=$(awk '$1 != "gatekeeper" { s += $2 } END { print s + 0 }' "$T/added.txt")
own_kib=$(awk '$1 == "gatekeeper" { print $2 }' "$T/added.txt")
say "installed: gatekeeper ($own_kib KiB) and the $(($(wc -l <"$T/added.txt") - 1)) packages it needs on a minbase root with systemd ($((added_kib / 1024)) MiB installed)"
say "  largest: $(sort -k2 -n -r "$T/added.txt" | head -n 6 | awk '{ printf "%s %d MiB, ", $1, $2 / 1024 }')..."
# What the two OpenCV modules the firmware no longer links (imgcodecs, videoio) would add.
in_c apt-get -s -q install --no-install-recommends libopencv-imgcodecs406 libopencv-videoio406 2>/dev/null |
  awk '/^Inst / { print $2 }' >"$T/opencv-more.txt" || true
more_kib=$( (cd / && in_c xargs -r apt-cache show --no-all-versions <"$T/opencv-more.txt") 2>/dev/null | awk '/^Installed-Size:/ { s += $2 } END { print s + 0 }')
say "  (libopencv-imgcodecs406 + libopencv-videoio406, no longer needed, would add $(wc -l <"$T/opencv-more.txt") more packages, $((more_kib / 1024)) MiB)"

# 4. systemctl start: returns when READY=1 came (Type=notify). The postinst started it already
# (where systemd is PID 1 it does); stop it first so the start below is the one timed.
in_c systemctl stop gated >>"$LOG" 2>&1 || true
[ "$(in_c systemctl show -P Type gated)" = notify ] || fail "gated.service is not Type=notify"
t0=$(date +%s%N)
in_c systemctl start gated >>"$LOG" 2>&1 || fail "systemctl start gated: $(in_c systemctl status gated --no-pager 2>&1 | tail -n 20)"
t1=$(date +%s%N)
[ "$(in_c systemctl is-active gated)" = active ] || fail "gated not active after start"
pid_a=$(in_c systemctl show -P MainPID gated)
say "systemctl start gated: returned after $(((t1 - t0) / 1000000)) ms, active (Type=notify: READY=1 received), main PID $pid_a, user $(in_c stat -c %U "/proc/$pid_a"), WatchdogUSec=$(in_c systemctl show -P WatchdogUSec gated)"
status_text=$(in_c systemctl show -P StatusText gated)
[ -n "$status_text" ] && say "  STATUS= from gated: $status_text"

# 5. The watchdog: gated stops answering (SIGSTOP: its loop sends no WATCHDOG=1); systemd
# kills it with the watchdog signal after WatchdogSec and restarts it (Restart=on-failure).
in_c sh -c "kill -STOP $pid_a"
stalled_at=$SECONDS
say "gated (PID $pid_a) stopped with SIGSTOP: no more watchdog pings"
pid_b=""
for _ in $(seq 120); do
  pid_b=$(in_c systemctl show -P MainPID gated)
  if [ "$pid_b" != "$pid_a" ] && [ "$pid_b" != 0 ] && [ "$(in_c systemctl is-active gated)" = active ]; then break; fi
  sleep 0.5
done
[ "$pid_b" != "$pid_a" ] && [ "$pid_b" != 0 ] || fail "gated was not restarted after the stall"
restarts=$(in_c systemctl show -P NRestarts gated)
result_line=$(in_c journalctl -u gated --no-pager -o cat | grep -E 'Watchdog timeout|watchdog' | head -n 1 || true)
say "restarted after $((SECONDS - stalled_at)) s: new main PID $pid_b, NRestarts=$restarts, active again"
say "  systemd: ${result_line:-"(no watchdog line found)"}"
[ "$restarts" -ge 1 ] || fail "NRestarts is $restarts"
[ -n "$result_line" ] || fail "no watchdog timeout in the journal"

# 6. journald fields of gated's own entries (the native protocol: GK_* fields beside MESSAGE).
in_c journalctl -u gated SYSLOG_IDENTIFIER=gated --no-pager -o verbose >"$T/journal.txt"
grep -q 'GK_EVENT=' "$T/journal.txt" || fail "no GK_EVENT field in journalctl -u gated"
say "journalctl -u gated: $(grep -c '^ *GK_EVENT=' "$T/journal.txt") entries from gated with GK_EVENT; its fields: $(grep -oE '^ *GK_[A-Z_]+=' "$T/journal.txt" | tr -d ' =' | sort -u | tr '\n' ' ')"
in_c journalctl -u gated SYSLOG_IDENTIFIER=gated --no-pager -o json \
  --output-fields=MESSAGE,PRIORITY,GK_EVENT,GK_WHAT,GK_REASON,GK_SEQ,_PID,_UID |
  sed -E 's/"(__CURSOR|__REALTIME_TIMESTAMP|__MONOTONIC_TIMESTAMP|_BOOT_ID)":"[^"]*",?//g; s/,}$/}/; s/^/    /'
# (No passage happens here, so no GK_REASON/GK_SEQ and no personal data could reach the
# journal; tests/integration/service/notify.sh checks those fields on real passages.)

# 7. A clean stop.
in_c systemctl stop gated || fail "systemctl stop gated"
in_c journalctl -u gated --no-pager -o cat | tail -n 3 >>"$LOG"
[ "$(in_c systemctl show -P Result gated)" = success ] || fail "stop result: $(in_c systemctl show -P Result gated)"
say "systemctl stop gated: clean (Result=success)"
in_c systemctl poweroff >/dev/null 2>&1 || true
for _ in $(seq 150); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
say "container powered off; all passed"
