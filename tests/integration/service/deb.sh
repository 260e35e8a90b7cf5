#!/usr/bin/env bash
# The gatekeeper .deb, end to end: cpack builds it from the test's build tree; dpkg-deb shows
# what it holds; it is installed with apt into a fresh Debian 12 root (debootstrap minbase),
# gated is started there the way the unit starts it (user gated, its device groups, its
# umask, a NOTIFY_SOCKET) and must say READY=1 and fill /var/lib/gated; then dpkg purges it.
# Slow (debootstrap + OpenCV and friends into the root): see the timings it prints.
# Caches under $GK_BUILD_DIR/deb-test (a pristine minbase tarball and apt's downloaded .debs)
# make the next run faster; every run still starts from an untouched root.
set -euo pipefail
BUILD=${GK_BUILD_DIR:?GK_BUILD_DIR: the CMake build directory with the binaries}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
MIRROR=${GK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE="$BUILD/deb-test"
T=$(mktemp -d /var/tmp/gk-deb.XXXXXX)  # not /tmp: the root is a few hundred MB
ROOT="$T/root"
sink=""
cleanup() {
  [ -n "$sink" ] && kill "$sink" 2>/dev/null || true
  # Mounts live only in the private namespace of in-root.sh: nothing is mounted here any more.
  if grep -q " $ROOT/" /proc/mounts; then echo "deb.sh: mounts left under $ROOT, not removing" >&2; return; fi
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step_start=$(date +%s.%N)
step() {  # step NAME: prints how long the previous step took
  local now; now=$(date +%s.%N)
  printf 'deb.sh: %-28s %6.1f s\n' "$1" "$(awk -v a="$now" -v b="$step_start" 'BEGIN{print a-b}')"
  step_start=$now
}
test_start=$step_start

# 1. The package, from the same install rules a release uses.
(cd "$BUILD" && cpack -G DEB -B "$T/pkg" >"$T/cpack.log" 2>&1) || { cat "$T/cpack.log"; fail "cpack"; }
ver=$(sed -nE 's/^project\(gatekeeper VERSION ([0-9.]+).*/\1/p' "$SRC/CMakeLists.txt")
deb="$T/pkg/gatekeeper_${ver}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || fail "no $deb: $(ls "$T/pkg")"
step "cpack -G DEB"

# 2. What it holds.
info=$(dpkg-deb --info "$deb")
grep -q '^ Package: gatekeeper$' <<<"$info" || fail "package name"
grep -q "^ Version: $ver$" <<<"$info" || fail "version from project()"
depends=$(sed -n 's/^ Depends: //p' <<<"$info")
for d in adduser libnfc6 libsqlite3-0 libsodium23 libopencv-core406 libgpiod2; do
  [[ $depends == *"$d"* ]] || fail "Depends lacks $d (shlibdeps): $depends"
done
# ZBar is linked from its static archive (cmake/Dependencies.cmake): libzbar0 and what it is
# built with (X11, V4L, D-Bus) are no part of the kiosk.
[[ $depends == *libzbar* ]] && fail "Depends names libzbar (gated should link ZBar's archive): $depends"
[ "$(dpkg-deb --info "$deb" conffiles)" = /etc/gated/gated.toml ] || fail "conffiles"
for s in postinst prerm postrm; do dpkg-deb --info "$deb" "$s" >/dev/null || fail "no $s"; done
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/gated ./usr/bin/gatectl ./usr/bin/pn532-sim ./lib/systemd/system/gated.service \
  ./etc/gated/gated.toml ./etc/gated/trust/ ./lib/udev/rules.d/99-gated.rules \
  ./usr/share/gatekeeper/boards/rpi4-pn532/gated.toml; do
  grep -q " $f$" <<<"$contents" || fail "package lacks $f"
done
grep -q 'gate-upstream\|fault-proxy' <<<"$contents" && fail "test/dev tools in the kiosk package"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./etc/gated/gated.toml >"$T/default.toml"
grep -q '^state_dir = "/var/lib/gated"' "$T/default.toml" || fail "default state_dir"
grep -q '^trust_dir = "/etc/gated/trust"' "$T/default.toml" || fail "default trust_dir"
echo "deb.sh: $(du -k "$deb" | cut -f1) KiB; Depends: $depends"
step "dpkg-deb checks"

# 3. A fresh Debian 12 root: from the cached pristine tarball, else debootstrap (and cache it).
mkdir -p "$CACHE/archives" "$ROOT"
if [ ! -s "$CACHE/bookworm-minbase.tar" ]; then
  debootstrap --variant=minbase bookworm "$T/fresh" "$MIRROR" >"$T/debootstrap.log" 2>&1 \
    || { tail -20 "$T/debootstrap.log"; fail "debootstrap"; }
  tar -C "$T/fresh" -cf "$CACHE/bookworm-minbase.tar.part" . && mv "$CACHE/bookworm-minbase.tar.part" "$CACHE/bookworm-minbase.tar"
  rm -rf "$T/fresh"
  step "debootstrap (cached now)"
fi
tar -C "$ROOT" -xf "$CACHE/bookworm-minbase.tar"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
cp "$deb" "$ROOT/tmp/gatekeeper.deb"
step "root ready"

# 4. In the root, inside a private mount namespace (so no mount can outlive this test).
cat >"$T/in-root.sh" <<'EOF'
set -euo pipefail
ROOT=$1 CACHE=$2
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind "$CACHE/archives" "$ROOT/var/cache/apt/archives"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
chroot "$ROOT" apt-get -qq update
chroot "$ROOT" apt-get -y -qq --no-install-recommends install /tmp/gatekeeper.deb >/dev/null
EOF
unshare -m --propagation private bash "$T/in-root.sh" "$ROOT" "$CACHE" >"$T/install.log" 2>&1 \
  || { tail -30 "$T/install.log"; fail "apt-get install of the package into the root"; }
step "apt-get install (with deps)"

r() { chroot "$ROOT" "$@"; }
# Owners as the root's own passwd/group files name them (its uids are not the host's).
perms() { r stat -c '%U:%G %a' "$1"; }
[ "$(r dpkg-query -W -f='${Status}' gatekeeper)" = "install ok installed" ] || fail "not installed"
r id gated >/dev/null || fail "no user gated"
[ "$(r getent passwd gated | cut -d: -f6,7)" = "/var/lib/gated:/usr/sbin/nologin" ] || fail "gated's home/shell"
groups=" $(r id -nG gated) "
for g in gated dialout i2c gpio video plugdev; do [[ $groups == *" $g "* ]] || fail "gated not in $g: $groups"; done
[[ $groups == *" sudo "* || $groups == *" root "* ]] && fail "gated in an admin group"
[ "$(perms /var/lib/gated)" = "gated:gated 700" ] || fail "/var/lib/gated: $(perms /var/lib/gated)"
[ "$(perms /etc/gated)" = "root:gated 750" ] || fail "/etc/gated: $(perms /etc/gated)"
[ "$(perms /etc/gated/trust)" = "root:gated 750" ] || fail "/etc/gated/trust: $(perms /etc/gated/trust)"
[ "$(perms /etc/gated/gated.toml)" = "root:gated 640" ] || fail "gated.toml: $(perms /etc/gated/gated.toml)"
if [ -x "$ROOT/usr/bin/deb-systemd-helper" ]; then
  [ -L "$ROOT/etc/systemd/system/multi-user.target.wants/gated.service" ] || fail "unit not enabled"
fi
r /usr/bin/gated config check /etc/gated/gated.toml >/dev/null || fail "installed config does not check"
# The unit, as systemd would load it in that root (no systemd as PID 1 needed): keys, values,
# the ExecStart binary. A minbase root has no systemd targets to order against, hence
# --recursive-errors=no (errors of the unit itself still fail).
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify --root="$ROOT" --recursive-errors=no /lib/systemd/system/gated.service 2>"$T/verify.log" \
    || { cat "$T/verify.log"; fail "systemd-analyze verify"; }
  [ ! -s "$T/verify.log" ] || { cat "$T/verify.log"; fail "systemd-analyze verify warned"; }
  step "checks + systemd-analyze"
else
  echo "SKIP systemd-analyze verify: systemd is not installed here"
fi

# 5. Start it as the unit does: user gated with its groups, umask 0077, NOTIFY_SOCKET.
/usr/bin/python3 "$HERE/datagram_sink.py" "$ROOT/run/gk-notify.sock" "$T/notify.dgrams" &
sink=$!
for _ in $(seq 100); do grep -q BOUND "$T/notify.dgrams" 2>/dev/null && break; sleep 0.05; done
chmod 0666 "$ROOT/run/gk-notify.sock"  # systemd's notify socket is writable by the service too
exec_start=$(sed -n 's/^ExecStart=//p' "$ROOT/lib/systemd/system/gated.service")
(umask 0077
 exec env -i NOTIFY_SOCKET=/run/gk-notify.sock WATCHDOG_USEC=10000000 PATH=/usr/bin:/bin \
   "$(command -v chroot)" --userspec=gated:gated --groups=dialout,i2c,gpio,video,plugdev "$ROOT" $exec_start \
   >"$T/gated.out" 2>"$T/gated.err") &
gated=$!
for _ in $(seq 200); do grep -q READY=1 "$T/notify.dgrams" && break; sleep 0.05; done
grep -q READY=1 "$T/notify.dgrams" || { cat "$T/gated.err"; fail "installed gated: no READY=1"; }
grep -q 'WATCHDOG=1' "$T/notify.dgrams" || fail "installed gated: no watchdog ping"
kill -TERM "$gated"; wait "$gated" || fail "installed gated did not stop cleanly: $(cat "$T/gated.err")"
grep -q STOPPING=1 "$T/notify.dgrams" || fail "installed gated: no STOPPING=1"
grep -q 'gated: started (board sim)' "$T/gated.err" || fail "no start line"
for db in journal.db revocation.db sync.db; do
  [ -f "$ROOT/var/lib/gated/$db" ] || fail "no /var/lib/gated/$db"
  p=$(perms "/var/lib/gated/$db")
  [ "$p" = "gated:gated 600" ] || fail "/var/lib/gated/$db: $p"
done
step "started as user gated"

# 6. Purge: binaries, unit, conffile, configuration and state are gone.
r dpkg -P gatekeeper >"$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "dpkg -P"; }
for f in /usr/bin/gated /lib/systemd/system/gated.service /etc/gated /var/lib/gated \
  /lib/udev/rules.d/99-gated.rules /etc/systemd/system/multi-user.target.wants/gated.service; do
  [ ! -e "$ROOT$f" ] || fail "$f survived the purge"
done
[ -z "$(r dpkg-query -W -f='${Status}' gatekeeper 2>/dev/null | grep -v not-installed)" ] || fail "still known to dpkg"
step "purge"
printf 'deb.sh: %-28s %6.1f s\n' "total" "$(awk -v a="$(date +%s.%N)" -v b="$test_start" 'BEGIN{print a-b}')"
echo "deb ok"
