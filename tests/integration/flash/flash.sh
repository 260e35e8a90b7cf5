#!/usr/bin/env bash
# gatectl flash on a board-like image: MBR with a 16 MiB FAT boot partition (type 0x0c) and
# a Linux root partition with data at a few offsets and holes between, its bmap from
# bmaptool. Checks the JSON lines, that mapped regions are copied and holes left alone, the
# bundle on the FAT (mtype, fsck.vfat), and the refusals: a corrupt range (exit 1), a garbage
# bmap (exit 2). Loop devices, when this machine lets us make them, add the block-device
# cases (too small, mounted); otherwise those are reported as skipped.
set -euo pipefail
BIN=${GK_BIN_DIR:-build/bin}
for tool in sfdisk mkfs.vfat fsck.vfat bmaptool mcopy mtype python3; do
  command -v "$tool" >/dev/null || { echo "flash.sh: $tool missing (tools/setup.sh --deps)"; exit 1; }
done
T=$(mktemp -d)
LOOPS=()
MOUNTED=""
cleanup() {
  [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null || true
  for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }
export MTOOLS_SKIP_CHECK=1

MiB=$((1 << 20))
IMG=$T/board.img
FAT_OFF=$MiB  # partition 1 at sector 2048
# --- build the board image -------------------------------------------------------------
truncate -s 64M "$IMG"
sfdisk --quiet "$IMG" <<'PARTS'
label: dos
start=2048, size=32768, type=c, bootable
start=36864, type=83
PARTS
truncate -s 16M "$T/boot.fat"
mkfs.vfat -n BOOT "$T/boot.fat" >/dev/null  # FAT16: 16 MiB is too few clusters for FAT32
printf 'kernel=zImage\n' >"$T/config.txt"
mcopy -i "$T/boot.fat" "$T/config.txt" ::/config.txt
dd if="$T/boot.fat" of="$IMG" bs=1M seek=1 conv=notrunc,sparse status=none
head -c $((1 * MiB)) /dev/urandom | dd of="$IMG" bs=1M seek=20 conv=notrunc status=none
head -c $((256 * 1024)) /dev/urandom | dd of="$IMG" bs=1K seek=$((40 * 1024)) conv=notrunc status=none
head -c $((100 * 1024)) /dev/urandom | dd of="$IMG" bs=1K seek=$((63 * 1024)) conv=notrunc status=none
bmaptool create -o "$IMG.bmap" "$IMG" 2>/dev/null
head -c 3000 /dev/urandom >"$T/bundle.bin"

# Mapped byte ranges from the bmap, one "start end" pair per line.
python3 - "$IMG.bmap" >"$T/mapped.txt" <<'PY'
import re, sys
doc = open(sys.argv[1]).read()
bs = int(re.search(r"<BlockSize>\s*(\d+)", doc).group(1))
size = int(re.search(r"<ImageSize>\s*(\d+)", doc).group(1))
for m in re.finditer(r"<Range[^>]*>\s*(\d+)(?:\s*-\s*(\d+))?\s*</Range>", doc):
    a = int(m.group(1)); b = int(m.group(2) or a)
    print(a * bs, min((b + 1) * bs, size))
PY
[ "$(wc -l <"$T/mapped.txt")" -ge 4 ] || fail "bmaptool mapped too few ranges: $(cat "$T/mapped.txt")"

# Checks TARGET against IMG: mapped bytes equal (outside SKIP_FROM..SKIP_TO), the rest 0xAA.
check_copy() {
  python3 - "$IMG" "$1" "$T/mapped.txt" "${2:-0}" "${3:-0}" <<'PY'
import sys
img = open(sys.argv[1], "rb").read(); tgt = open(sys.argv[2], "rb").read()
skip_from, skip_to = int(sys.argv[4]), int(sys.argv[5])
ranges = [tuple(map(int, l.split())) for l in open(sys.argv[3])]
assert len(tgt) >= len(img), f"target is {len(tgt)} bytes, image {len(img)}"
mask = bytearray(len(img))
for a, b in ranges: mask[a:b] = b"\x01" * (b - a)
bad = 0; holes = 0
for off in range(0, len(img), 4096):
    if skip_from <= off < skip_to: continue
    end = min(off + 4096, len(img))
    if mask[off]:
        bad += img[off:end] != tgt[off:end]
    else:
        holes += 1
        bad += tgt[off:end] != b"\xaa" * (end - off)
assert bad == 0, f"{bad} blocks differ"
assert holes > 0
print(f"{holes} hole blocks kept the pattern")
PY
}
prefill() { python3 -c "import sys; open(sys.argv[1],'wb').write(b'\xaa' * (64 << 20))" "$1"; }

# --- 1: flash with the bmap, JSON lines (stdout is not a terminal) --------------------------
prefill "$T/target.img"
"$BIN/gatectl" flash "$IMG" "$T/target.img" >"$T/lines.json" 2>"$T/err" || { cat "$T/err"; fail "flash rc $?"; }
python3 - "$T/lines.json" "$T/mapped.txt" "$IMG" <<'PY'
import hashlib, json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ranges = [tuple(map(int, l.split())) for l in open(sys.argv[2])]
img = open(sys.argv[3], "rb").read()
mapped = sum(b - a for a, b in ranges)
phases = [l.get("phase") for l in lines[:-1]]
assert phases[0] == "write" and lines[0]["bytes"] == 0 and lines[0]["total"] == mapped, lines[0]
assert "verify" in phases and phases.index("verify") > phases.index("write"), phases
assert all(l["bytes"] <= l["total"] for l in lines[:-1])
done = lines[-1]
assert done["done"] is True and done["verified"] is True, done
assert done["written_bytes"] == mapped, (done, mapped)
assert done["written_bytes"] + done["skipped_bytes"] == len(img)
assert done["skipped_bytes"] > len(img) // 2, "bmap should skip most of the image"
h = hashlib.sha256(b"".join(img[a:b] for a, b in ranges)).hexdigest()
assert done["image_sha256"] == h == done["target_sha256"], done
print(f"{len(lines)} JSON lines, {mapped} of {len(img)} bytes written")
PY
check_copy "$T/target.img"
pass "bmap flash copies mapped blocks, leaves holes, JSON lines"

# --- 2: with the bundle: readable with mtype, FAT still clean, the rest unchanged ----------
prefill "$T/target2.img"
"$BIN/gatectl" flash "$IMG" "$T/target2.img" --bundle "$T/bundle.bin" --json >"$T/lines2.json" 2>"$T/err" ||
  { cat "$T/err"; fail "flash with bundle"; }
tail -n1 "$T/lines2.json" | python3 -c '
import json, sys; d = json.load(sys.stdin)
b = d["bundle"]; assert b["partition"] == 1 and b["scheme"] == "mbr" and b["partition_offset"] == 1 << 20, b
assert b["bytes"] == 3000 and b["path"] == "::/gatekeeper/provision.bundle", b'
mtype -i "$T/target2.img@@$FAT_OFF" ::/gatekeeper/provision.bundle | cmp - "$T/bundle.bin" || fail "bundle differs"
mtype -i "$T/target2.img@@$FAT_OFF" ::/config.txt | grep -q kernel=zImage || fail "FAT lost config.txt"
dd if="$T/target2.img" of="$T/fat.copy" bs=1M skip=1 count=16 status=none
fsck.vfat -n "$T/fat.copy" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "fsck.vfat on the FAT"; }
check_copy "$T/target2.img" "$FAT_OFF" $((17 * MiB)) >/dev/null
# Again on the same target: the folder exists now and the bundle is replaced.
head -c 500 /dev/urandom >"$T/bundle2.bin"
"$BIN/gatectl" flash "$IMG" "$T/target2.img" --bundle "$T/bundle2.bin" --json >/dev/null 2>"$T/err" ||
  { cat "$T/err"; fail "reflash with bundle"; }
mtype -i "$T/target2.img@@$FAT_OFF" ::/gatekeeper/provision.bundle | cmp - "$T/bundle2.bin" || fail "bundle not replaced"
pass "bundle placed on the FAT without mounting, fsck.vfat clean"

# --- 3: a small regular file is extended; --no-bmap writes everything --------------------
truncate -s 1M "$T/small.img"
"$BIN/gatectl" flash "$IMG" "$T/small.img" --no-bmap --json >"$T/lines3.json" 2>"$T/err" || { cat "$T/err"; fail "small target"; }
[ "$(stat -c %s "$T/small.img")" = $((64 * MiB)) ] || fail "small target not extended"
cmp "$IMG" "$T/small.img" || fail "--no-bmap copy differs"
tail -n1 "$T/lines3.json" | grep -q "\"image_sha256\":\"$(sha256sum "$IMG" | cut -d' ' -f1)\"" ||
  fail "whole-image hash is not sha256sum of the image"
pass "small file target extended, --no-bmap writes every byte"

# --- 4: one corrupt byte in a mapped range: exit 1, the range named -----------------------
cp --sparse=always "$IMG" "$T/bad.img"
cp "$IMG.bmap" "$T/bad.img.bmap"
off=$((20 * MiB + 1234))
printf '\x00' | dd of="$T/bad.img" bs=1 seek=$off conv=notrunc status=none
if cmp -s "$IMG" "$T/bad.img"; then printf '\x01' | dd of="$T/bad.img" bs=1 seek=$off conv=notrunc status=none; fi
rc=0; "$BIN/gatectl" flash "$T/bad.img" "$T/t4.img" --json >"$T/out4" 2>"$T/err4" || rc=$?
[ "$rc" = 1 ] || { cat "$T/err4"; fail "corrupt image: rc $rc, wanted 1"; }
range=$(python3 - "$T/mapped.txt" $off <<'PY'
import sys
off = int(sys.argv[2])
for l in open(sys.argv[1]):
    a, b = map(int, l.split())
    if a <= off < b: print(f"blocks {a // 4096}-{(b - 1) // 4096}")
PY
)
grep -q "$range" "$T/err4" || { cat "$T/err4"; fail "corrupt range not named ($range)"; }
grep -q '"reason":"corrupt_range"' "$T/out4" || fail "no JSON error line"
pass "corrupt mapped range refused (exit 1): $range"

# --- 5: garbage and mismatched bmaps: exit 2, target untouched -----------------------------
head -c 4096 /dev/urandom >"$T/garbage.bmap"
rc=0; "$BIN/gatectl" flash "$IMG" "$T/t5.img" --bmap "$T/garbage.bmap" >/dev/null 2>"$T/err5" || rc=$?
[ "$rc" = 2 ] || { cat "$T/err5"; fail "garbage bmap: rc $rc"; }
grep -q bad_bmap "$T/err5" || fail "garbage bmap: no reason"
head -c 2000 "$IMG.bmap" >"$T/trunc.bmap"
rc=0; "$BIN/gatectl" flash "$IMG" "$T/t5.img" --bmap "$T/trunc.bmap" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "truncated bmap: rc $rc"
truncate -s 32M "$T/other.img" && bmaptool create -o "$T/other.bmap" "$T/other.img" 2>/dev/null
rc=0; "$BIN/gatectl" flash "$IMG" "$T/t5.img" --bmap "$T/other.bmap" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "another image's bmap: rc $rc"
[ ! -e "$T/t5.img" ] || fail "target created despite a bad bmap"
rc=0; "$BIN/gatectl" flash "$IMG" "$IMG" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "image onto itself: rc $rc"
rc=0; "$BIN/gatectl" flash "$IMG" "$T/t6.img" --bmap x --no-bmap >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--bmap with --no-bmap: rc $rc"
pass "garbage, truncated and foreign bmaps refused (exit 2)"

# --- 6: block devices through loop devices, when the machine allows ----------------------
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && L=$(losetup --find --show "$T/small.img" 2>/dev/null); then
  LOOPS+=("$L")
  prefill "$T/small.img"
  "$BIN/gatectl" flash "$IMG" "$L" --bundle "$T/bundle.bin" --json >"$T/out7" 2>"$T/err7" ||
    { cat "$T/err7"; fail "flash to $L"; }
  check_copy "$T/small.img" "$FAT_OFF" $((17 * MiB)) >/dev/null
  mtype -i "$L@@$FAT_OFF" ::/gatekeeper/provision.bundle 2>/dev/null | cmp - "$T/bundle.bin" || fail "bundle on $L"
  pass "flash to block device $L"

  truncate -s 8M "$T/tiny.img"
  mkfs.vfat "$T/tiny.img" >/dev/null
  LT=$(losetup --find --show "$T/tiny.img") || fail "second loop device"
  LOOPS+=("$LT")
  rc=0; "$BIN/gatectl" flash "$IMG" "$LT" --json >"$T/out6" 2>&1 || rc=$?
  { [ "$rc" = 2 ] && grep -q target_too_small "$T/out6"; } || { cat "$T/out6"; fail "small device: rc $rc"; }
  pass "block device smaller than the image refused (exit 2)"

  mkdir -p "$T/mnt"
  if mount -o ro "$LT" "$T/mnt" 2>/dev/null; then
    MOUNTED=$T/mnt
    rc=0; "$BIN/gatectl" flash "$IMG" "$LT" >"$T/out8" 2>&1 || rc=$?
    { [ "$rc" = 2 ] && grep -q target_mounted "$T/out8"; } || { cat "$T/out8"; fail "mounted $LT: rc $rc"; }
    pass "mounted block device refused (exit 2)"
  else
    echo "skip: cannot mount here, the mounted-device refusal is untested"
  fi
else
  echo "skip: no loop devices here, the block-device cases are untested"
fi
echo "flash: all checks passed"
