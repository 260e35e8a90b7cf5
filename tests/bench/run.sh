#!/usr/bin/env bash
# Prints every benchmark table (or one: tests/bench/run.sh pass|revocation|journal|decoder).
# Figures are ratios against a baseline measured in the same run; nothing here fails on them.
set -euo pipefail
cd "$(dirname "$0")/../.."
all=(pass revocation journal decoder)
want=("${@:-${all[@]}}")
targets=()
for b in "${want[@]}"; do targets+=("bench_$b"); done
[ -f build/build.ninja ] || tools/setup.sh --deps && cmake --preset release >/dev/null
cmake --build build --target "${targets[@]}" >/dev/null
for b in "${want[@]}"; do
  echo "== bench_$b =="
  "build/bench/bench_$b"
  echo
done
