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
#   upstream_start DIR [SERVE-OPTION...]   an upstream for the test: upstream_init, then
#         upstream_serve
#   upstream_init DIR   gate-upstream init --dir DIR (unless DIR holds one already) and an
#         operator "ops" holding every role (gate-upstream operator add; its key in
#         DIR-operator/), the way a server host sets one up
#   upstream_serve DIR [SERVE-OPTION...]   gate-upstream serve --dir DIR on 127.0.0.1:0 in the
#         background (stderr to DIR.log); sets UPSTREAM_PID, UPSTREAM_URL, UPSTREAM_PIN, and
#         writes the operator's profile DIR-operator/profile.toml, exported as
#         GATECTL_UPSTREAM_PROFILE (so a plain `gatectl upstream CMD` goes by URL as "ops")
#   UPSTREAM_STORE   options naming the store for those three (e.g. (--store "$PG_URL"));
#         empty: DIR's SQLite file
#   upstream_cmd CMD ARG...   "$GATECTL" upstream CMD ARG... (by that profile)
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
UPSTREAM_STORE=()
upstream_init() {
  local dir=$1
  [ -f "$dir/authority.key" ] || "$BIN/gate-upstream" init --dir "$dir" "${UPSTREAM_STORE[@]}" >/dev/null ||
    fail "gate-upstream init"
  [ -f "$dir-operator/ops.key" ] || "$GATECTL" keygen --out "$dir-operator" --name ops >/dev/null
  "$BIN/gate-upstream" operator list --dir "$dir" "${UPSTREAM_STORE[@]}" | grep -q '^ops ' ||
    "$BIN/gate-upstream" operator add --dir "$dir" "${UPSTREAM_STORE[@]}" --id ops \
      --key "$dir-operator/ops.pub" --roles registrar,publisher,auditor >/dev/null || fail "operator add"
}
upstream_serve() {
  local dir=$1
  shift
  rm -f "$dir.port"
  "$BIN/gate-upstream" serve --dir "$dir" "${UPSTREAM_STORE[@]}" --listen 127.0.0.1:0 \
    --port-file "$dir.port" "$@" 2>>"$dir.log" &
  UPSTREAM_PID=$!
  PIDS+=("$UPSTREAM_PID")
  wait_file "$dir.port"
  UPSTREAM_URL="https://127.0.0.1:$(cat "$dir.port")"
  UPSTREAM_PIN=$(cat "$dir/tls.pin")
  printf 'url = "%s"\npin = "%s"\noperator = "ops"\noperator_key = "ops.key"\n' \
    "$UPSTREAM_URL" "$UPSTREAM_PIN" >"$dir-operator/profile.toml"
  export GATECTL_UPSTREAM_PROFILE
  GATECTL_UPSTREAM_PROFILE=$(cd "$dir-operator" && pwd)/profile.toml
}
upstream_start() {
  upstream_init "$1"
  upstream_serve "$@"
}
upstream_cmd() { "$GATECTL" upstream "$@"; }
