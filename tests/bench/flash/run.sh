#!/usr/bin/env bash
# gatectl flash with a bmap against dd of the whole image, in the same run on the same disk:
# a 256 MiB board image with 25% of its blocks mapped (32 x 2 MiB of data, holes between).
# Prints the seconds of each (best of ROUNDS, default 3) and the ratio dd / gatectl, also net
# of gatectl's start-up (measured as `gatectl --version`).
# Not part of ctest: the figure depends on the disk, and nothing fails on it.
#   tests/bench/flash/run.sh            (BENCH_DIR: where to write, default $TMPDIR or /tmp)
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN=${GK_BIN_DIR:-build/bin}
ROUNDS=${ROUNDS:-3}
[ -x "$BIN/gatectl" ] || { echo "run.sh: build gatectl first ($BIN/gatectl)" >&2; exit 2; }
command -v bmaptool >/dev/null || { echo "run.sh: bmaptool missing (tools/setup.sh --deps)" >&2; exit 2; }
W=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/gk-flash-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

IMG=$W/board.img
truncate -s 256M "$IMG"
for i in $(seq 0 31); do  # 2 MiB of data every 8 MiB
  head -c 2M /dev/urandom | dd of="$IMG" bs=1M seek=$((i * 8)) conv=notrunc status=none
done
bmaptool create -o "$IMG.bmap" "$IMG" 2>/dev/null
sync

seconds() {  # seconds CMD...: wall time of one run, the target removed and caches synced first
  rm -f "$W/target.img"
  sync
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }' 
}
best() {  # best ROUNDS CMD...
  local b="" s
  for _ in $(seq "$ROUNDS"); do
    s=$(seconds "$@")
    if [ -z "$b" ] || awk -v s="$s" -v b="$b" 'BEGIN { exit !(s < b) }'; then b=$s; fi
  done
  printf '%.3f' "$b"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

flash_verify=$(best "$BIN/gatectl" flash "$IMG" "$W/target.img" --json)
flash_noverify=$(best "$BIN/gatectl" flash "$IMG" "$W/target.img" --json --no-verify)
startup=$(best "$BIN/gatectl" --version)
dd_whole=$(best dd if="$IMG" of="$W/target.img" bs=1M conv=fsync)
# Like for like with gatectl's verify: dd, then read the whole target back past the page cache.
dd_verify() {
  dd if="$IMG" of="$W/target.img" bs=1M conv=fsync &&
    dd if="$W/target.img" bs=1M iflag=direct status=none | cmp - "$IMG"
}
dd_and_readback=$(best dd_verify)
mapped=$(grep -o '<MappedBlocksCount> *[0-9]*' "$IMG.bmap" | grep -o '[0-9]*$')
net() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
echo "flash bench: 256 MiB image, $((mapped * 4096 >> 20)) MiB mapped, best of $ROUNDS, on $(df --output=source "$W" | tail -1)"
row() { printf '  %-52s %7s s\n' "$1" "$2"; }
row "dd bs=1M conv=fsync (whole image, no check)" "$dd_whole"
row "dd conv=fsync + read-back (iflag=direct | cmp)" "$dd_and_readback"
row "gatectl flash --no-verify (bmap, write only)" "$flash_noverify"
row "gatectl flash (bmap, write + read-back + compare)" "$flash_verify"
# gatectl loads every library of the product (OpenCV, libnfc, ...) before it does anything.
row "gatectl start-up alone (gatectl --version)" "$startup"
echo "ratios (> 1: gatectl faster)"
printf '  %-52s %7sx\n' "dd / flash --no-verify" "$(ratio "$dd_whole" "$flash_noverify")"
printf '  %-52s %7sx\n' "(dd + read-back) / flash" "$(ratio "$dd_and_readback" "$flash_verify")"
printf '  %-52s %7sx\n' "dd / flash --no-verify, net of start-up" "$(ratio "$dd_whole" "$(net "$flash_noverify" "$startup")")"
printf '  %-52s %7sx\n' "(dd + read-back) / flash, net of start-up" "$(ratio "$dd_and_readback" "$(net "$flash_verify" "$startup")")"
