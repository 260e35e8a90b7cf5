# The common start of the shell tests, sourced after `set -euo pipefail`:
#   BIN   the built binaries ($GK_BIN_DIR, as CTest sets it; else build/bin of this tree)
#   GATECTL  the gatectl the tests set things up with: $GK_GATECTL, else $BIN/gatectl (the
#         ThreadSanitizer run passes the release one: the sync tests only set up keys, passes
#         and the upstream's database with it)
#   T     a scratch folder, removed on exit (kept with GK_KEEP_SCRATCH=1, for debugging)
#   PIDS  background processes to stop on exit: PIDS+=("$!") after starting one
#   CLEANUP  commands run on exit after PIDS are stopped (e.g. pg_stop of postgres.sh)
#   wait_file F   waits up to 5 s for F to be non-empty, else calls the script's fail()
#   listener_port OUT NAME   the port gated reported for its listener NAME (screen, console)
#         in its output file OUT, waiting up to 20 s for it (a sanitized gated starts slowly); else calls fail()
# Each script keeps its own fail(), because what is worth printing on failure differs.
BIN=${GK_BIN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/bin}
BIN=$(cd "$BIN" && pwd)
GATECTL=${GK_GATECTL:-$BIN/gatectl}
T=$(mktemp -d)
PIDS=()
CLEANUP=()
gk_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for p in "${CLEANUP[@]}"; do "$p" || true; done
  if [ -n "${GK_KEEP_SCRATCH:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap gk_cleanup EXIT
wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done; fail "no $1"; }
listener_port() {
  local port
  for _ in $(seq 400); do
    port=$(sed -nE "s/.*\"$2\":\\{\"port\":([0-9]+).*/\\1/p" "$1" 2>/dev/null | head -1)
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.05
  done
  fail "gated did not report its $2 port: $(tail -5 "$1" 2>/dev/null)"
}
