#!/usr/bin/env bash
# Builds the libFuzzer targets (in the asan build: clang, ASan+UBSan, coverage-instrumented)
# and runs each for SECONDS (default 20) from its committed corpus
# (tests/fuzz/corpus/<target>), as many at once as there are cores; new inputs go to
# build-asan/fuzz-corpus/<target>.
# Any finding fails the run: a crash, a sanitizer report, a leak, an input that takes over
# FUZZ_TIMEOUT_S seconds (default 10) or that makes the process exceed FUZZ_RSS_MB
# (default 2048). The input is left in build-asan/fuzz-findings/<target>/ (crash-*, leak-*,
# timeout-*, oom-*) beside the log: turn it into a committed corpus input and a regression
# test.
#   tools/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
targets=("${@:-fuzz_pass_text fuzz_pass_binary fuzz_revocation_document fuzz_config fuzz_sync_batch fuzz_sync_documents fuzz_upstream_request fuzz_guard_console fuzz_ndef fuzz_image_pipeline fuzz_bmap fuzz_provision_bundle}")
read -r -a targets <<<"${targets[*]}"
tools/setup.sh --deps
cmake --preset asan >/dev/null
cmake --build --preset asan --target "${targets[@]}" -j"$(nproc)" >/dev/null
build=$PWD/build-asan

fuzz_one() {
  local t=$1 seed=$PWD/tests/fuzz/corpus/$1 work=$build/fuzz-corpus/$1 findings=$build/fuzz-findings/$1
  rm -rf "$findings"
  mkdir -p "$work" "$seed" "$findings"
  # Image seeds (small PNG/PGM/BMP codes, raw grey frames) are larger than text inputs.
  local max_len=4096
  [ "$t" = fuzz_image_pipeline ] && max_len=16384
  local status=0
  (cd "$findings" && "$build/fuzz/$t" -max_total_time="$seconds" -max_len="$max_len" \
    -timeout="${FUZZ_TIMEOUT_S:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
    -artifact_prefix="$findings/" -print_final_stats=1 "$work" "$seed" >log 2>&1) || status=$?
  echo "$status" >"$findings/status"
}

echo "== ${#targets[@]} fuzz targets, ${seconds}s each, $(nproc) at a time =="
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= $(nproc))); do wait -n || true; done
  fuzz_one "$t" &
done
wait

failed=()
for t in "${targets[@]}"; do
  findings=$build/fuzz-findings/$t
  echo "== $t =="
  grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+== ?ERROR|SUMMARY)" "$findings/log" || true
  status=$(cat "$findings/status")
  if ((status != 0)) || compgen -G "$findings/[a-z]*-*" >/dev/null; then
    echo "fuzz: $t FAILED (exit $status); the log and the input are in $findings/:"
    ls "$findings"
    grep -m5 -E "ERROR|WARNING|SUMMARY|out-of-memory|timeout" "$findings/log" || true
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]}"
  exit 1
fi
echo "fuzz: no finding"
