#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for the gatekeeper firmware and builds it.
# Idempotent: installs only the Debian packages that are missing, then configures
# and builds into build/ (binaries in build/bin/).
#   tools/setup.sh            every package, playwright-core, release build of everything
#   tools/setup.sh --deps     every package and playwright-core, no build
#   tools/setup.sh --demo     what tools/demo.sh needs: the build packages only (no Node.js,
#                             npm or Chromium, nothing from the npm registry) and only the
#                             targets the demo runs (GK_DEMO_TARGETS)
#   BUILD_DIR=... PRESET=...  override the build directory / CMake preset
#   VERBOSE=1                 show apt, CMake and compiler output instead of one line a phase
# Each phase prints one line; its output goes to build/setup-<phase>.log, shown (the end of
# it) when the phase fails.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=all
case "${1:-}" in
  --deps) mode=deps ;;
  --demo) mode=demo ;;
  "") ;;
  *) echo "usage: tools/setup.sh [--deps|--demo]" >&2; exit 2 ;;
esac

# What building needs (cmake/Dependencies.cmake finds each of these at configure time).
BUILD_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # required libraries of the product
  libnfc-dev libnfc-bin libzbar-dev
  # OpenCV for image work only (core, imgproc); stills are read and written by libpng and
  # libjpeg-turbo, V4L2 capture uses the kernel API (drivers/camera)
  libopencv-core-dev libopencv-imgproc-dev libpng-dev libjpeg62-turbo-dev
  libsqlite3-dev sqlite3 libsodium-dev libboost-dev libboost-system-dev libssl-dev
  catch2 libbenchmark-dev
  # justified extras: QR rendering for issued passes, TOML config, JSON lines/CLI
  libqrencode-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
  # second QR decoder in the camera cascade: reads tilted codes ZBar misses (tests/corpus)
  libzxing-dev
  # GPIO (libgpiod 1.6 API) for gate relay and door inputs on real boards
  libgpiod-dev
  # the video-file camera of the sim board and tests (gk-video-camera module, loaded by gated
  # only for camera.source = "video:...") and the test fixtures written with OpenCV
  libopencv-imgcodecs-dev libopencv-videoio-dev
  # gate-upstream's PostgreSQL store (libpq): a district's instances share one database
  libpq-dev
)
# What the test suite needs on top.
TEST_PACKAGES=(
  # the ASan/TSan/fuzz builds and the formatting check
  clang clang-format libclang-rt-14-dev
  # gatectl flash: mtools writes the provisioning bundle onto the image's FAT boot partition
  # without mounting; bmap-tools, fdisk (sfdisk) and dosfstools build and check test images
  mtools bmap-tools fdisk dosfstools
  # tests: NFC tools used against the PN532 emulator
  procps psmisc
  # tests: the ID-card tests talk to the guard console over HTTP (curl) and read its JSON (jq)
  curl jq
  # the .deb (cmake/Packaging.cmake): dpkg-shlibdeps computes Depends; deb.sh installs it into
  # a debootstrap root; systemd-analyze verifies the unit (installing systemd does not make
  # it PID 1); /usr/bin/python3 binds the sd_notify/journald sockets in the service tests
  dpkg-dev debootstrap systemd python3
  # the installed service under a real systemd as PID 1 in a container (systemd-nspawn,
  # tests/integration/service/systemd_boot.sh)
  systemd-container
  # signed A/B updates (boards/*/rauc): Debian's RAUC, mksquashfs for bundles, openssl for the
  # test CA; dbus-daemon gives the update test a private bus for `rauc service`; veritysetup
  # checks a verity bundle's hash tree in user space (no device-mapper in CI kernels)
  rauc squashfs-tools openssl dbus cryptsetup-bin
  # the real PostgreSQL 15 server (and psql) the sync tests and the fleet benchmark start
  # for themselves, as an unprivileged user on a temporary folder
  postgresql-15 postgresql-client-15
  # browser tests of the kiosk screen and guard console: Debian's Chromium, CJK fonts, and
  # Debian's Node.js and npm for playwright-core (the version check below says which
  # Node.js major playwright-core needs)
  chromium fonts-noto-cjk nodejs npm
)
# The targets tools/demo.sh runs (the demo builds only these).
GK_DEMO_TARGETS=(gated gatectl gate-upstream pn532-sim idreader-sim)  # the ID-card part needs both readers

BUILD_DIR=${BUILD_DIR:-build}
mkdir -p "$BUILD_DIR"
# phase NAME COMMAND...: one line for the phase; its output in a log, shown if it fails.
phase() {
  local name=$1; shift
  local log=$BUILD_DIR/setup-$name.log start=$SECONDS
  if [ "${VERBOSE:-0}" = 1 ]; then
    "$@"
    return
  fi
  printf 'setup: %s ... ' "$PHASE_LINE"
  if "$@" >"$log" 2>&1; then
    echo "done ($((SECONDS - start)) s)"
  else
    local rc=$?
    echo "FAILED (exit $rc; log: $log)"
    tail -n 40 "$log" | sed 's/^/  | /' >&2
    exit "$rc"
  fi
}

packages=("${BUILD_PACKAGES[@]}")
[ "$mode" = demo ] || packages+=("${TEST_PACKAGES[@]}")

# Installed: the package itself or another package that provides it (NodeSource's nodejs
# provides and conflicts with Debian's npm; asking apt for npm there would fail).
installed=" $(dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Provides}\n' 2>/dev/null |
  awk -F'|' '$1 ~ /^ii/ { gsub(/\([^)]*\)/, "", $3); gsub(/,/, " ", $3); print $2, $3 }' |
  tr '\n' ' ') "
missing=()
for p in "${packages[@]}"; do
  [[ $installed == *" $p "* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  install_packages() {
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "$@"
  }
  PHASE_LINE="install: ${#missing[@]} Debian packages (${missing[*]:0:6}$( ((${#missing[@]} > 6)) && echo " ...")) and their dependencies"
  phase install install_packages "${missing[@]}"
fi

if [ "$mode" != demo ]; then
  # playwright-core from the npm registry, pinned by tests/browser/package-lock.json. Check
  # first that this machine's Node.js is one it runs on (its package.json "engines", which the
  # lock file records), rather than let npm warn and the browser tests fail later.
  lock=tests/browser/package-lock.json
  pw_version=$(sed -n '/"node_modules\/playwright-core"/,/}/s/.*"version": "\([^"]*\)".*/\1/p' "$lock")
  need_major=$(sed -n '/"node_modules\/playwright-core"/,/"node":/s/.*"node": ">=\([0-9]*\).*/\1/p' "$lock")
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "setup: node or npm is missing (Debian packages nodejs and npm); the browser tests need them for playwright-core $pw_version" >&2
    exit 1
  fi
  have=$(node --version)
  have_major=${have#v}
  have_major=${have_major%%.*}
  if [ -z "$need_major" ] || [ -z "$pw_version" ]; then
    echo "setup: cannot read playwright-core's version and Node.js requirement from $lock" >&2
    exit 1
  fi
  if ((have_major < need_major)); then
    echo "setup: playwright-core $pw_version ($lock) needs Node.js >= $need_major; this machine's node ($(command -v node), package nodejs) is $have." >&2
    echo "setup: pin a playwright-core that supports Node.js $have_major in tests/browser/package.json and regenerate the lock (npm install --package-lock-only), or install a newer nodejs." >&2
    exit 1
  fi
  installed_pw=$(sed -n 's/.*"version": "\([^"]*\)".*/\1/p' tests/browser/node_modules/playwright-core/package.json 2>/dev/null | head -n 1 || true)
  if [ "$installed_pw" != "$pw_version" ]; then
    # --engine-strict: npm itself refuses a package whose "engines" this Node.js does not meet.
    PHASE_LINE="npm: playwright-core $pw_version for the browser tests (Node.js $have)"
    phase npm bash -c 'cd tests/browser && npm ci --engine-strict --no-audit --no-fund'
    if [ -s "$BUILD_DIR/setup-npm.log" ] && grep -qi "warn" "$BUILD_DIR/setup-npm.log"; then
      echo "setup: npm warned (from $BUILD_DIR/setup-npm.log):" >&2
      grep -i "warn" "$BUILD_DIR/setup-npm.log" | sed 's/^/  | /' >&2
    fi
  fi
fi

[ "$mode" = deps ] && exit 0

PRESET=${PRESET:-release}
PHASE_LINE="configure: cmake --preset $PRESET"
phase configure cmake --preset "$PRESET"
targets=()
if [ "$mode" = demo ]; then
  targets=(--target "${GK_DEMO_TARGETS[@]}")
  PHASE_LINE="build: ${GK_DEMO_TARGETS[*]} ($(nproc) jobs)"
else
  PHASE_LINE="build: every target, tests and benchmarks included ($(nproc) jobs)"
fi
phase build cmake --build --preset "$PRESET" -j"$(nproc)" "${targets[@]}"
