#!/usr/bin/env bash
# Prints every benchmark table, or only the ones named:
#   tests/bench/run.sh                 all five
#   tests/bench/run.sh pass            one (pass | revocation | journal | decoder | sync; the area
#                                      names trust and camera work too)
# Figures are ratios against a baseline measured in the same run; nothing here fails on them.
set -euo pipefail
cd "$(dirname "$0")/../.."
all=(pass revocation journal decoder sync)
want=()
for b in "${@:-${all[@]}}"; do
  case "$b" in
    pass | revocation | journal | decoder | sync) want+=("$b") ;;
    trust) want+=(revocation) ;;
    camera) want+=(decoder) ;;
    *)
      echo "run.sh: unknown benchmark '$b' (pass, revocation, journal, decoder, sync)" >&2
      exit 2
      ;;
  esac
done
targets=()
for b in "${want[@]}"; do targets+=("bench_$b"); done
if [ ! -f build/build.ninja ]; then
  cmake --preset release >/dev/null
fi
# Quiet on success; ninja prints compiler errors on stdout, so show the log on failure.
if ! log=$(cmake --build build --target "${targets[@]}" 2>&1); then
  echo "$log" >&2
  exit 1
fi
for b in "${want[@]}"; do
  echo "== bench_$b =="
  "build/bench/bench_$b"
  echo
done
