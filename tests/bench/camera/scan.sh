#!/usr/bin/env bash
# `gatectl scan` over every real photograph (tests/corpus/photos) against the same images
# through raw zxing-cpp alone (bench_raw_zxing_scan: the same file reading, one ReadBarcodes
# per image, QR only, default hints): whole processes, in the same run, alternating which goes
# first, three rounds. Prints each round's wall and CPU (user+sys) seconds and the ratios.
# Usage: scan.sh BUILD_DIR
set -euo pipefail
B=${1:-build}
cd "$(dirname "$0")/../../.."
mapfile -t files < <(ls tests/corpus/photos/*/*.jpg)
measure() {  # prints "wall cpu" for the command
  local t0 t1 out
  t0=$(date +%s.%N)
  out=$( { /usr/bin/time -f '%U %S' "$@" >/dev/null; } 2>&1 | tail -1)
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v u="${out% *}" -v s="${out#* }" 'BEGIN { printf "%.2f %.2f\n", b - a, u + s }'
}
echo "gatectl scan vs raw zxing-cpp, whole process over ${#files[@]} photographs (seconds)"
printf '  %-6s %10s %10s %10s %10s %10s %10s\n' round "ours wall" "ours cpu" "zxing wall" "zxing cpu" "wall ratio" "cpu ratio"
tw=0 tc=0 zw=0 zc=0
for r in 1 2 3; do
  if ((r % 2)); then
    read -r ow oc < <(measure "$B/bin/gatectl" scan "${files[@]}")
    read -r xw xc < <(measure "$B/bench/bench_raw_zxing_scan" "${files[@]}")
  else
    read -r xw xc < <(measure "$B/bench/bench_raw_zxing_scan" "${files[@]}")
    read -r ow oc < <(measure "$B/bin/gatectl" scan "${files[@]}")
  fi
  printf '  %-6s %10s %10s %10s %10s %10.2f %10.2f\n' "$r" "$ow" "$oc" "$xw" "$xc" \
    "$(awk -v a="$ow" -v b="$xw" 'BEGIN{print a/b}')" "$(awk -v a="$oc" -v b="$xc" 'BEGIN{print a/b}')"
  tw=$(awk -v a="$tw" -v b="$ow" 'BEGIN{print a+b}'); tc=$(awk -v a="$tc" -v b="$oc" 'BEGIN{print a+b}')
  zw=$(awk -v a="$zw" -v b="$xw" 'BEGIN{print a+b}'); zc=$(awk -v a="$zc" -v b="$xc" 'BEGIN{print a+b}')
done
printf '  %-6s %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f\n' total "$tw" "$tc" "$zw" "$zc" \
  "$(awk -v a="$tw" -v b="$zw" 'BEGIN{print a/b}')" "$(awk -v a="$tc" -v b="$zc" 'BEGIN{print a/b}')"
