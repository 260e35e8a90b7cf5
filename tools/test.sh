#!/usr/bin/env bash
# Sets everything up, then runs all tests through CTest.
#   tools/test.sh                 release build, every test
#   tools/test.sh -L nfc          only one area (any ctest arguments pass through)
#   tools/test.sh --asan          also builds and runs the unit tests under ASan+UBSan
#   tools/test.sh --fuzz          also runs every libFuzzer target briefly (tools/fuzz.sh 15)
#   tools/test.sh --tsan          also builds and runs the threaded parts under ThreadSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."

asan=0
fuzz=0
tsan=0
args=()
for a in "$@"; do
  case "$a" in
    --asan) asan=1 ;;
    --fuzz) fuzz=1 ;;
    --tsan) tsan=1 ;;
    *) args+=("$a") ;;
  esac
done

tools/setup.sh
echo "== tests (release) =="
# The .deb test (label "package": debootstrap root, the package's dependencies from the
# Debian mirror; ~2 min warm, ~4.5 min cold) is opt-in: tools/test.sh -L package.
exclude=(-LE package)
for a in "${args[@]}"; do [[ $a == *package* ]] && exclude=(); done
ctest --preset release -j"$(nproc)" --timeout 600 "${exclude[@]}" "${args[@]}"

if [ "$asan" = 1 ]; then
  echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j"$(nproc)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset asan -j"$(nproc)" --timeout 900 -L unit "${args[@]}"
fi

if [ "$tsan" = 1 ]; then
  echo "== the threaded parts under ThreadSanitizer =="
  # Every process is one event loop; the threads are asio's resolver thread (the sync
  # client's async_resolve, handing its result back to the loop) and OpenCV's worker pool
  # (the decoder's resize and CLAHE). So: the sync integration tests, where gated syncs with
  # gate-upstream through fault-proxy over TLS, and the unit tests of the loop-driven code
  # (servers and clients on one io_context) and of the decoder.
  tsan_tests=(test_screen test_guard_console test_upstream test_sync_client test_camera)
  tsan_bins=(gated gate-upstream gatectl fault-proxy)
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j"$(nproc)" --target "${tsan_tests[@]}" "${tsan_bins[@]}"
  regex="^($(IFS='|'; echo "${tsan_tests[*]}")|sync_faults|sync_lists)\$"
  # Reports go to files too: a gated a test started in the background and then killed
  # would otherwise leave its report in a log nobody reads.
  reports=$PWD/build-tsan/tsan-reports
  rm -rf "$reports" && mkdir -p "$reports"
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tools/tsan.supp log_path=$reports/report" \
    ctest --preset tsan -j"$(nproc)" --timeout 900 -R "$regex" "${args[@]}"
  if compgen -G "$reports/report.*" >/dev/null; then
    cat "$reports"/report.*
    echo "tsan: ThreadSanitizer reported from a process the tests started" >&2
    exit 1
  fi
fi

if [ "$fuzz" = 1 ]; then
  echo "== short fuzzing run of every parser =="
  tools/fuzz.sh 15
fi
