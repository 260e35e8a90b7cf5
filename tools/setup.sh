#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for the gatekeeper firmware and builds it.
# Idempotent: installs only the Debian packages that are missing, then configures
# and builds into build/ (binaries in build/bin/).
#   tools/setup.sh            packages + release build
#   tools/setup.sh --deps     packages only
#   BUILD_DIR=... PRESET=...  override the build directory / CMake preset
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang clang-format libclang-rt-14-dev
  # required libraries of the product
  libnfc-dev libnfc-bin libzbar-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-videoio-dev
  libsqlite3-dev sqlite3 libsodium-dev libboost-dev libboost-system-dev libssl-dev
  catch2 libbenchmark-dev
  # justified extras: QR rendering for issued passes, TOML config, JSON lines/CLI
  libqrencode-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
  # second QR decoder in the camera cascade: reads tilted codes ZBar misses (tests/corpus)
  libzxing-dev
  # GPIO (libgpiod 1.6 API) for gate relay and door inputs on real boards
  libgpiod-dev
  # gatectl flash: mtools writes the provisioning bundle onto the image's FAT boot partition
  # without mounting; bmap-tools, fdisk (sfdisk) and dosfstools build and check test images
  mtools bmap-tools fdisk dosfstools
  # tests: NFC tools used against the PN532 emulator
  procps psmisc
  # the .deb (cmake/Packaging.cmake): dpkg-shlibdeps computes Depends; deb.sh installs it into
  # a debootstrap root; systemd-analyze verifies the unit (installing systemd does not make
  # it PID 1); /usr/bin/python3 binds the sd_notify/journald sockets in the service tests
  dpkg-dev debootstrap systemd python3
  # signed A/B updates (boards/*/rauc): Debian's RAUC, mksquashfs for bundles, openssl for the
  # test CA; dbus-daemon gives the update test a private bus for `rauc service`; veritysetup
  # checks a verity bundle's hash tree in user space (no device-mapper in CI kernels)
  rauc squashfs-tools openssl dbus cryptsetup-bin
  # browser tests of the kiosk screen and guard console: Debian's Chromium, CJK fonts
  chromium fonts-noto-cjk
)
# Node.js for playwright-core (the browser tests): Debian's, unless one is already there.
command -v node >/dev/null && command -v npm >/dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# playwright-core from the npm registry, pinned by tests/browser/package-lock.json.
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

[ "${1:-}" = "--deps" ] && exit 0

PRESET=${PRESET:-release}
cmake --preset "$PRESET" >/dev/null
cmake --build --preset "$PRESET" -j"$(nproc)"
