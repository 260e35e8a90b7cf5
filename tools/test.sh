#!/usr/bin/env bash
# Sets everything up, then runs all tests through CTest.
#   tools/test.sh                 release build, every test
#   tools/test.sh -L nfc          only one area (any ctest arguments pass through)
#   tools/test.sh --asan          also builds everything under ASan+UBSan and runs the suite again
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
echo "== tests (release) (at $((SECONDS / 60)) min $((SECONDS % 60)) s) =="
# The .deb test (label "package": debootstrap root, the package's dependencies from the
# Debian mirror; ~2 min warm, ~4.5 min cold) is opt-in: tools/test.sh -L package.
exclude=(-LE package)
for a in "${args[@]}"; do [[ $a == *package* ]] && exclude=(); done
ctest --preset release -j"$(nproc)" --timeout 600 "${exclude[@]}" "${args[@]}"

# Every report a sanitized process writes goes to a file in REPORTS (log_path), also from the
# gated, gate-upstream and gatectl processes tests start in the background and kill, whose
# stderr nobody reads; any report fails the run, printed in full.
status=0
check_reports() {
  if compgen -G "$1/*" >/dev/null; then
    cat "$1"/*
    echo "$2: the sanitizer reported from a process the tests started (reports in $1)" >&2
    exit 1
  fi
}

if [ "$asan" = 1 ]; then
  echo "== the suite under AddressSanitizer + UndefinedBehaviorSanitizer (at $((SECONDS / 60)) min $((SECONDS % 60)) s) =="
  # All of it but the soak, whose memory checks measure the product's allocator, not ASan's
  # quarantine (and the package test unless asked, as above), and the real photographs
  # (label "photos": three decoders over 271 photographs up to 1920 px, ZBar's full-frame
  # scans alone several minutes under ASan; the same decoder code runs under ASan in
  # test_camera, test_corpus and the fuzz targets, the photographs in the release run).
  asan_exclude="soak|photos"
  ((${#exclude[@]})) && asan_exclude="soak|photos|package"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j"$(nproc)"
  reports=$PWD/build-asan/sanitizer-reports
  rm -rf "$reports" && mkdir -p "$reports"
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan" \
    ctest --preset asan -j"$(nproc)" --timeout 900 -LE "$asan_exclude" "${args[@]}" || status=$?
  check_reports "$reports" asan
  ((status == 0)) || exit "$status"
fi

if [ "$tsan" = 1 ]; then
  echo "== the threaded parts under ThreadSanitizer (at $((SECONDS / 60)) min $((SECONDS % 60)) s) =="
  # Every process is one event loop; the threads are gated's card poller (libnfc blocks, so
  # the reader is polled on a thread of its own and its results posted to the loop), asio's
  # resolver thread (the sync client's async_resolve) and OpenCV's worker pool (the decoder's
  # resize and CLAHE). So: the sync integration tests, where gated syncs with gate-upstream
  # through fault-proxy over TLS, and the NFC test, where gated polls pn532-sim through libnfc,
  # with gated, gate-upstream and fault-proxy built with TSan (gatectl and pn532-sim, which
  # only set things up there, are the release ones), and the unit tests of the card poller,
  # the sync client, the upstream and the decoder.
  tsan_tests=(test_card_poller test_camera_worker test_upstream test_sync_client test_camera)
  tsan_bins=(gated gate-upstream fault-proxy)
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j"$(nproc)" --target "${tsan_tests[@]}" "${tsan_bins[@]}"
  regex="^($(IFS='|'; echo "${tsan_tests[*]}")|sync_faults|sync_lists|nfc_pn532_sim)\$"
  reports=$PWD/build-tsan/sanitizer-reports
  rm -rf "$reports" && mkdir -p "$reports"
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tools/tsan.supp log_path=$reports/tsan" \
    GK_GATECTL=$PWD/build/bin/gatectl GK_PN532_SIM=$PWD/build/bin/pn532-sim \
    ctest --preset tsan -j"$(nproc)" --timeout 900 -R "$regex" "${args[@]}" || status=$?
  check_reports "$reports" tsan
  ((status == 0)) || exit "$status"
fi

if [ "$fuzz" = 1 ]; then
  echo "== short fuzzing run of every parser (at $((SECONDS / 60)) min $((SECONDS % 60)) s) =="
  tools/fuzz.sh 15
fi
echo "== all passed (at $((SECONDS / 60)) min $((SECONDS % 60)) s) =="
