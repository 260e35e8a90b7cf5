#!/usr/bin/env bash
# gated under a service manager, without one: the sd_notify datagrams (READY=1, STATUS=,
# WATCHDOG=1 from the event loop, STOPPING=1) on a socket this test binds as systemd would,
# the watchdog pings stopping when the loop is stuck, and the operational log as journald
# fields (in a private mount namespace with our own /run/systemd/journal/socket).
set -euo pipefail
BIN=${GK_BIN_DIR:-build/bin}
HERE=$(cd "$(dirname "$0")" && pwd)
SINK="/usr/bin/python3 $HERE/datagram_sink.py"
T=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${GK_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$T"/*.dgrams "$T"/*.err; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; } >&2; done; exit 1; }

# start_sink NAME OUT: the receiving socket, bound before gated starts.
start_sink() {
  $SINK "$1" "$2" &
  pids+=($!)
  for _ in $(seq 100); do grep -q BOUND "$2" 2>/dev/null && return; sleep 0.05; done
  fail "datagram sink on $1 did not start"
}
# wait_for FILE PATTERN SECONDS
wait_for() {
  for _ in $(seq $(($3 * 20))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}
# first_time FILE PATTERN: monotonic time of the first datagram matching
first_time() { grep "$2" "$1" | head -1 | cut -d' ' -f1; }
# count_between FILE PATTERN FROM TO
count_between() { awk -v a="$3" -v b="$4" -v p="$2" '$1 >= a && $1 <= b && $0 ~ p' "$1" | wc -l; }

mkdir -p "$T/trust" "$T/keys" "$T/frames"
cat >"$T/gated.toml" <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "site-1"
checkpoint = "test gate"
TOML

# 1. The normal case: READY=1, pings every WATCHDOG_USEC/2 from the loop, STOPPING=1 on TERM.
start_sink "$T/notify.sock" "$T/normal.dgrams"
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=2000000 \
  "$BIN/gated" --config "$T/gated.toml" >"$T/normal.out" 2>"$T/normal.err" &
gated=$!
pids+=($gated)
wait_for "$T/normal.dgrams" 'READY=1' 10 || fail "no READY=1"
grep 'READY=1' "$T/normal.dgrams" | grep -q 'STATUS=deciding passages (board sim)' \
  || fail "READY=1 without its STATUS line"
ready=$(first_time "$T/normal.dgrams" 'READY=1')
sleep 3.2
pings=$(count_between "$T/normal.dgrams" 'WATCHDOG=1$' "$ready" "$(awk -v r="$ready" 'BEGIN{print r+3.1}')")
# 2 s watchdog: a ping at READY and every 1 s, so 4 within 3 s; at least 2 required.
[ "$pings" -ge 2 ] || fail "expected >= 2 WATCHDOG=1 within 3 s of READY, got $pings"
grep -q 'STOPPING=1' "$T/normal.dgrams" && fail "STOPPING=1 before any signal"
kill -TERM "$gated"
rc=0; wait "$gated" || rc=$?
[ "$rc" = 0 ] || fail "gated exited $rc on SIGTERM"
wait_for "$T/normal.dgrams" 'STOPPING=1' 2 || fail "no STOPPING=1 on SIGTERM"
# Not under journald: plain lines on stderr; stdout stays the JSON event stream.
grep -qx 'gated: started (board sim)' "$T/normal.err" || fail "no start line on stderr"
grep -qx 'gated: stopping' "$T/normal.err" || fail "no stop line on stderr"
if grep -v '^{' "$T/normal.out" | grep -q .; then fail "non-JSON on stdout: $(cat "$T/normal.out")"; fi
echo "normal: READY, $pings pings in 3 s, STOPPING on TERM"

# 2. WATCHDOG_PID naming us enables the pings; naming another process disables them.
start_sink "$T/pid.sock" "$T/pid.dgrams"
(export NOTIFY_SOCKET="$T/pid.sock" WATCHDOG_USEC=400000 WATCHDOG_PID=$BASHPID
 exec "$BIN/gated" --config "$T/gated.toml" >/dev/null 2>"$T/pid.err") &
gated=$!
pids+=($gated)
wait_for "$T/pid.dgrams" 'READY=1' 10 || fail "no READY=1 (own WATCHDOG_PID)"
sleep 0.7
[ "$(grep -c 'WATCHDOG=1$' "$T/pid.dgrams")" -ge 2 ] || fail "WATCHDOG_PID=own pid: no pings"
kill -TERM "$gated"; wait "$gated" || fail "gated (own WATCHDOG_PID) did not stop cleanly"
start_sink "$T/other.sock" "$T/other.dgrams"
NOTIFY_SOCKET="$T/other.sock" WATCHDOG_USEC=400000 WATCHDOG_PID=$$ \
  "$BIN/gated" --config "$T/gated.toml" >/dev/null 2>"$T/other.err" &
gated=$!
pids+=($gated)
wait_for "$T/other.dgrams" 'READY=1' 10 || fail "no READY=1 (other WATCHDOG_PID)"
sleep 0.7
grep -q 'WATCHDOG=1' "$T/other.dgrams" && fail "pinged although WATCHDOG_PID names another process"
kill -TERM "$gated"; wait "$gated" || fail "gated (other WATCHDOG_PID) did not stop cleanly"
echo "WATCHDOG_PID: honoured"

# 3. A stuck loop (test hook): the pings stop while the process lives on, so systemd's
# watchdog would fire; SIGTERM is not even handled (it is handled on the loop).
start_sink "$T/stall.sock" "$T/stall.dgrams"
NOTIFY_SOCKET="$T/stall.sock" WATCHDOG_USEC=1000000 GK_TEST_STALL_LOOP_AFTER_S=2 \
  "$BIN/gated" --config "$T/gated.toml" >/dev/null 2>"$T/stall.err" &
gated=$!
pids+=($gated)
wait_for "$T/stall.dgrams" 'READY=1' 10 || fail "no READY=1 (stall)"
ready=$(first_time "$T/stall.dgrams" 'READY=1')
sleep 4.5
kill -0 "$gated" 2>/dev/null || fail "gated died instead of stalling"
before=$(count_between "$T/stall.dgrams" 'WATCHDOG=1$' "$ready" "$(awk -v r="$ready" 'BEGIN{print r+1.9}')")
after=$(count_between "$T/stall.dgrams" 'WATCHDOG=1$' "$(awk -v r="$ready" 'BEGIN{print r+2.6}')" 1e12)
[ "$before" -ge 3 ] || fail "pings before the stall: $before"
[ "$after" = 0 ] || fail "pings went on after the loop stalled: $after"
kill -TERM "$gated"; sleep 0.5
kill -0 "$gated" 2>/dev/null || fail "a stuck loop handled SIGTERM?"
grep -q STOPPING=1 "$T/stall.dgrams" && fail "STOPPING=1 from a stuck loop"
kill -ABRT "$gated"  # what systemd sends when WatchdogSec passes without a ping
exec 3>&2 2>/dev/null  # (bash's "Aborted" job notice is expected here)
rc=0; wait "$gated" || rc=$?
exec 2>&3 3>&-
[ "$rc" -gt 128 ] || fail "gated survived SIGABRT (rc $rc)"
echo "stall: $before pings, then none; killed by the watchdog signal"

# 4. An abstract NOTIFY_SOCKET ('@name', as systemd uses for some managers) works too.
name="@gk-notify-test-$$"
start_sink "$name" "$T/abstract.dgrams"
NOTIFY_SOCKET="$name" "$BIN/gated" --config "$T/gated.toml" >/dev/null 2>"$T/abstract.err" &
gated=$!
pids+=($gated)
wait_for "$T/abstract.dgrams" 'READY=1' 10 || fail "no READY=1 on abstract socket"
grep -q WATCHDOG "$T/abstract.dgrams" && fail "pings without WATCHDOG_USEC"
kill -TERM "$gated"; wait "$gated" || fail "gated (abstract socket) did not stop cleanly"
wait_for "$T/abstract.dgrams" 'STOPPING=1' 2 || fail "no STOPPING=1 on abstract socket"
echo "abstract socket: ok"

# 5. Under journald: the operational events as fields, a decision as reason + seq only.
if ! unshare -m true 2>/dev/null; then
  echo "SKIP journald fields: no mount namespaces here (unshare -m)"
  echo "notify ok"
  exit 0
fi
NOW=$(date +%s)
"$BIN/gatectl" keygen --out "$T/keys" --site site-1 >/dev/null
cp "$T/keys/issuer.pub" "$T/trust/"
"$BIN/gatectl" issue --key "$T/keys/issuer.key" --site site-1 --building 5 --unit 2-301 \
  --name 'Zhang Wei' --valid-from "$((NOW - 60))" --png "$T/frames/p.png" --json >"$T/issued.json"
pass_id=$(sed -E 's/.*"id":"([0-9a-f]{32})".*/\1/' "$T/issued.json")
sed -e 's/^state_dir = "state"/state_dir = "state-j"/' "$T/gated.toml" >"$T/journal.toml"
printf '[camera]\nsource = "folder:frames"\nfps = 5\n[thermometer]\nkind = "sim"\nsim_idle_c = 36.6\n' \
  >>"$T/journal.toml"
# In a private mount namespace, a tmpfs on /run/systemd stands in for journald's
# socket directory; stderr is a file whose dev:ino JOURNAL_STREAM names, as systemd does.
cat >"$T/in-namespace.sh" <<EOF
set -eu
# (mounted over /run/systemd, or /run: nothing is created on the host's /run)
mount -t tmpfs tmpfs /run/systemd 2>/dev/null || mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal
$SINK /run/systemd/journal/socket "$T/journal.dgrams" &
sink=\$!
for _ in \$(seq 100); do grep -q BOUND "$T/journal.dgrams" 2>/dev/null && break; sleep 0.05; done
: >"$T/journal.err"
export JOURNAL_STREAM=\$(stat -c %d:%i "$T/journal.err")
"$BIN/gated" --config "$T/journal.toml" >"$T/journal.out" 2>>"$T/journal.err" &
gated=\$!
for _ in \$(seq 400); do grep -q '"decision"' "$T/journal.out" 2>/dev/null && break; sleep 0.05; done
sleep 0.3
kill -TERM \$gated; wait \$gated
sleep 0.2; kill \$sink
EOF
unshare -m bash "$T/in-namespace.sh" || fail "gated under the stand-in journald"
grep -q '"decision":"admit"' "$T/journal.out" || fail "no admit decision: $(cat "$T/journal.out")"
seq=$(grep '"decision"' "$T/journal.out" | sed -nE 's/.*"seq":([0-9]+).*/\1/p' | head -1)
[ -n "$seq" ] || fail "no seq in the decision line"
entry=$(grep 'GK_EVENT=passage' "$T/journal.dgrams") || fail "no passage entry in the journal"
for f in "PRIORITY=6" "SYSLOG_IDENTIFIER=gated" "GK_DECISION=admit" "GK_REASON=ok" "GK_SEQ=$seq" \
  "MESSAGE=passage seq $seq: admit (ok)"; do
  [[ $entry == *"$f\\n"* ]] || fail "passage entry lacks $f: $entry"
done
grep -q 'GK_EVENT=started.*PRIORITY=5\|PRIORITY=5.*GK_EVENT=started' "$T/journal.dgrams" || fail "no started entry"
grep -q 'GK_EVENT=stopping' "$T/journal.dgrams" || fail "no stopping entry"
# No personal data in the system journal: not the name, not the unit, not the pass id.
for secret in 'Zhang' '2-301' "$pass_id" "${pass_id:0:8}"; do
  grep -q -- "$secret" "$T/journal.dgrams" && fail "personal data '$secret' in the journal"
done
# Everything went to the journal socket, nothing as plain lines on stderr.
[ ! -s "$T/journal.err" ] || fail "stderr under journald: $(cat "$T/journal.err")"
echo "journald: fields ok, no personal data"
echo "notify ok"
