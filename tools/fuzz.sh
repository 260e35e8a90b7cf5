#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 20) from its
# committed corpus (tests/fuzz/corpus/<target>); new inputs go to build-fuzz/corpus.
# A crash leaves crash-* in build-fuzz/ and fails the run: turn it into a regression test.
#   tools/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
targets=("${@:-fuzz_pass_text fuzz_pass_binary fuzz_revocation_document fuzz_config fuzz_sync_batch fuzz_sync_documents fuzz_upstream_request fuzz_guard_console fuzz_ndef fuzz_image_pipeline fuzz_bmap fuzz_provision_bundle}")
read -r -a targets <<<"${targets[*]}"
tools/setup.sh --deps
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "${targets[@]}" -j"$(nproc)" >/dev/null
for t in "${targets[@]}"; do
  seed=tests/fuzz/corpus/$t
  work=build-fuzz/corpus/$t
  mkdir -p "$work" "$seed"
  # Image seeds (small PNG/PGM/BMP codes, raw grey frames) are larger than text inputs.
  max_len=4096
  [ "$t" = fuzz_image_pipeline ] && max_len=16384
  echo "== $t: ${seconds}s =="
  (cd build-fuzz && ./fuzz/"$t" -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 \
    "../$work" "../$seed" 2>&1 | grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" || true)
  if ls build-fuzz/crash-* >/dev/null 2>&1; then echo "fuzz: $t crashed"; exit 1; fi
done
echo "fuzz: no crash"
