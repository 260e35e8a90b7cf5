#!/usr/bin/env bash
# Sets everything up, then runs all tests through CTest.
#   tools/test.sh                 release build, every test
#   tools/test.sh -L nfc          only one area (any ctest arguments pass through)
#   tools/test.sh --asan          also builds and runs the unit tests under ASan+UBSan
#   tools/test.sh --fuzz          also runs every libFuzzer target briefly (tools/fuzz.sh 15)
set -euo pipefail
cd "$(dirname "$0")/.."

asan=0
fuzz=0
args=()
for a in "$@"; do
  case "$a" in
    --asan) asan=1 ;;
    --fuzz) fuzz=1 ;;
    *) args+=("$a") ;;
  esac
done

tools/setup.sh
echo "== tests (release) =="
ctest --preset release -j"$(nproc)" --timeout 600 "${args[@]}"

if [ "$asan" = 1 ]; then
  echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j"$(nproc)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset asan -j"$(nproc)" --timeout 900 -L unit "${args[@]}"
fi

if [ "$fuzz" = 1 ]; then
  echo "== short fuzzing run of every parser =="
  tools/fuzz.sh 15
fi
