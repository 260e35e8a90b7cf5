#!/usr/bin/env bash
# Regenerates the seed corpora of fuzz_ndef and fuzz_image_pipeline from the real tools
# (the committed seeds came from this script; run it only to refresh them):
#  - fuzz_ndef: tag memory (from page 4) of NTAG215/216 cards that `gatectl card write`
#    wrote through libnfc's pn532_uart driver to pn532-sim, plus blank and UID-only cards;
#  - fuzz_image_pipeline: pass codes from `gatectl issue --png`, shrunk to 2 px per module
#    (PNG, PGM and BMP, so that three OpenCV decoders are reached), and raw grey frames in
#    the target's own 4-byte-header form.
#   tests/fuzz/make_seeds.sh   (needs build/bin or GK_BIN_DIR, and python3)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(cd "${GK_BIN_DIR:-build/bin}" && pwd)
NDEF=$PWD/tests/fuzz/corpus/fuzz_ndef
IMG=$PWD/tests/fuzz/corpus/fuzz_image_pipeline
mkdir -p "$NDEF" "$IMG"
T=$(mktemp -d)
SIM=""
trap '[ -n "$SIM" ] && kill "$SIM" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
export LIBNFC_LOG_LEVEL=0
cd "$T"
"$BIN/gatectl" keygen --out k >/dev/null
NOW=$(date +%s)

blank() {  # blank FILE BYTES CC_SIZE : NTAG21x dump with UID 04112233445566, an empty NDEF
  head -c "$2" /dev/zero >"$1"
  printf '\x04\x11\x22\xbf\x33\x44\x55\x66\x00\x48\x00\x00' | dd of="$1" conv=notrunc status=none
  # shellcheck disable=SC2059 # the CC's size byte is the argument, as an escape
  printf "\\xe1\\x10\\x$3\\x00\\x03\\x00\\xfe" | dd of="$1" bs=1 seek=12 conv=notrunc status=none
}
user_memory() { tail -c +17 "$1" | head -c "$2"; }  # pages 4.. of the dump

blank ntag215.bin 540 3e
blank ntag216.bin 924 6d
user_memory ntag215.bin 496 >"$NDEF/empty_ndef_ntag215"
"$BIN/pn532-sim" --link pn532 --card ntag215.bin --control ctl 2>/dev/null &
SIM=$!
for _ in $(seq 50); do [ -e pn532 ] && [ -p ctl ] && break; sleep 0.1; done
n=0
for args in "--building 3 --unit 1-101 --name 李奶奶" \
  "--role visitor --building 9 --host 00112233445566778899aabbccddeeff --visit-hours 4" \
  "--role delivery --name courier --health yellow --id-last4 123X"; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  "$BIN/gatectl" issue --key k/issuer.key --site s1 $args --card-uid 04112233445566 \
    --valid-from "$NOW" >pass$n.txt
  timeout 20 "$BIN/gatectl" card write --device "pn532_uart:$T/pn532" pass$n.txt >/dev/null
  echo remove >ctl
  sleep 0.3  # the simulator writes the tag memory back to its file when the card leaves
  user_memory ntag215.bin 496 >"$NDEF/pass${n}_ntag215"
  echo "place $T/ntag215.bin" >ctl
  sleep 0.3
done
printf '\x03\x00\xfe' >"$NDEF/empty_message"
printf '\xfe' >"$NDEF/terminator_only"

for n in 1 2 3; do
  "$BIN/gatectl" issue --key k/issuer.key --site s1 --building "$n" --unit 1 \
    --valid-from "$NOW" --png code$n.png >/dev/null
done
python3 - "$IMG" <<'PY'
# Shrinks gatectl's 8-bit grey PNGs (8 px per module) to 2 px per module by sampling, and
# writes PNG/PGM/BMP seeds; zlib and struct only, so no imaging package is needed.
import struct, sys, zlib
out = sys.argv[1]

def read_png(path):
    data = open(path, 'rb').read()
    pos, idat, w, h = 8, b'', 0, 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, colour = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and colour == 0, 'expected 8-bit grey'
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw, rows, prev = zlib.decompress(idat), [], bytearray(w)
    for y in range(h):
        f, line = raw[y * (w + 1)], bytearray(raw[y * (w + 1) + 1:(y + 1) * (w + 1)])
        for x in range(w):
            a = line[x - 1] if x else 0
            b, c = prev[x], prev[x - 1] if x else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return w, h, rows

def chunk(kind, body):
    return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body))

def write_png(path, w, h, rows):
    raw = b''.join(b'\0' + r for r in rows)
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0))
                           + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))

def write_bmp(path, w, h, rows):
    pad = (4 - w % 4) % 4
    pixels = b''.join(r + b'\0' * pad for r in reversed(rows))
    palette = b''.join(bytes((i, i, i, 0)) for i in range(256))
    off = 14 + 40 + len(palette)
    open(path, 'wb').write(b'BM' + struct.pack('<IHHI', off + len(pixels), 0, 0, off)
                           + struct.pack('<IiiHHIIiiII', 40, w, h, 1, 8, 0, len(pixels), 2835, 2835, 256, 0)
                           + palette + pixels)

for n in (1, 2, 3):
    w, h, rows = read_png('code%d.png' % n)
    small = [bytes(r[x] for x in range(0, w, 4)) for r in rows[::4]]
    sw, sh = len(small[0]), len(small)
    write_png('%s/code%d_2px.png' % (out, n), sw, sh, small)
    if n == 1:
        open('%s/code1_2px.pgm' % out, 'wb').write(b'P5\n%d %d\n255\n' % (sw, sh) + b''.join(small))
        write_bmp('%s/code1_2px.bmp' % out, sw, sh, small)
        # Raw grey frame: width (LE16), row padding, a spare byte, then rows of `sw` pixels.
        open('%s/raw_code1_2px' % out, 'wb').write(struct.pack('<HBB', sw - 1, 0, 0) + b''.join(small))
        inverted = [bytes(255 - p for p in r) for r in small]
        open('%s/raw_code1_inverted' % out, 'wb').write(struct.pack('<HBB', sw - 1, 0, 0) + b''.join(inverted))
open('%s/raw_flat_64x32' % out, 'wb').write(struct.pack('<HBB', 63, 3, 0) + bytes([128]) * (67 * 32))
PY
find "$NDEF" "$IMG" -type f -printf '%s %p\n'
