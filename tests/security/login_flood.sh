#!/usr/bin/env bash
# Attacks on the guard console's login, on loopback (issue 14, item 3):
#  - one keep-alive connection firing 400 logins: rate-limited before anything is written;
#    the journal gets a handful of aggregated rows, not 400;
#  - a real guard locked out by wrong PINs stays locked while forged passes arrive from 200
#    other addresses, and after gated restarts;
#  - a registered guard's pass with a wrong PIN and a pass that is nobody's take the same time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
fail() { echo "FAIL: $*" >&2; tail -20 "$T/gated.out" >&2 2>/dev/null || true; exit 1; }
cd "$T"
mkdir trust
"$BIN/gatectl" keygen --out keys --site site-1 >/dev/null
cp keys/issuer.pub trust/
NOW=$(date +%s)
"$BIN/gatectl" issue --key keys/issuer.key --site site-1 --role staff --name 王保安 \
  --valid-from "$NOW" >staff.txt
"$BIN/gatectl" issue --key keys/issuer.key --site site-1 --role staff --name 路人 \
  --valid-from "$NOW" >stranger.txt  # a valid staff pass, but no guard of this checkpoint
"$BIN/gatectl" issue --key keys/issuer.key --site site-1 --role staff --name 李保安 \
  --valid-from "$NOW" >staff2.txt
echo 246810 | "$BIN/gatectl" guard add --file guards staff.txt >/dev/null
echo 135790 | "$BIN/gatectl" guard add --file guards staff2.txt >/dev/null
cat >gated.toml <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "site-1"
checkpoint = "莲花北村北门"
[screen]
listen = "127.0.0.1:0"
[console]
listen = "127.0.0.1:0"
guards_file = "guards"
TOML
start_gated() {
  : >gated.out
  "$BIN/gated" --config gated.toml >>gated.out 2>&1 &
  GATED=$!
  PIDS+=("$GATED")
  console=$(listener_port gated.out console)
  screen=$(listener_port gated.out screen)
}
body() { printf '{"pass":"%s","pin":"%s"}' "$(tr -d '\n' <"$1")" "$2"; }
login() {  # login FROM PASSFILE PIN -> HTTP status
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 --interface "$1" \
    -H 'Content-Type: application/json' -d "$(body "$2" "$3")" "http://127.0.0.1:$console/api/login"
}
login_time() {  # seconds, as curl measured the request
  curl -s -o /dev/null -w '%{time_total}' --max-time 10 --interface "$1" \
    -H 'Content-Type: application/json' -d "$(body "$2" "$3")" "http://127.0.0.1:$console/api/login"
}
rows() { sqlite3 state/journal.db "SELECT COUNT(*) FROM passages WHERE reason='guard_login_failed'"; }
start_gated

# 1. Timing: three wrong PINs each for the registered guard and for a stranger's pass, from
# addresses of their own (under every limit). Before, 60 ms against 1 ms.
g=() s=()
for i in 1 2 3; do
  g+=("$(login_time 127.0.2.$i staff2.txt 111111)")
  s+=("$(login_time 127.0.3.$i stranger.txt 111111)")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
gm=$(median "${g[@]}") sm=$(median "${s[@]}")
ratio=$(awk -v a="$gm" -v b="$sm" 'BEGIN { printf "%.2f", a / b }')
echo "login timing: registered guard, wrong PIN ${gm}s; stranger's pass ${sm}s; ratio $ratio"
awk -v r="$ratio" 'BEGIN { exit !(r > 0.25 && r < 4) }' || fail "timing tells guards apart: ratio $ratio"

# 2. The flood: 400 logins on one keep-alive connection, as fast as curl sends them.
before=$(rows)
urls=()
for _ in $(seq 400); do urls+=("http://127.0.0.1:$console/api/login"); done
start=$(date +%s%N)
curl -s --max-time 60 --interface 127.0.0.9 -H 'Content-Type: application/json' \
  -d "$(body stranger.txt 999999)" -w '%{stderr}%{http_code}\n' "${urls[@]}" >/dev/null 2>codes
ms=$((($(date +%s%N) - start) / 1000000))
total=$(wc -l <codes) refused=$(grep -c '^429$' codes || true) checked=$(grep -c '^401$' codes || true)
added=$(($(rows) - before))
echo "flood: $total logins in ${ms} ms: $checked checked (401), $refused refused (429); $added journal rows"
[ "$total" = 400 ] || fail "only $total of 400 answered"
[ "$checked" -le 10 ] || fail "$checked PIN checks for one address (rate limit is 10)"
[ "$added" -le 10 ] || fail "$added journal rows for one flood (budget 10 an interval)"
# (Read whole first: grep -q stops at the first match, and curl, cut off, fails the pipe.)
metrics=$(curl -s "http://127.0.0.1:$screen/metrics")
grep -q 'gate_console_login_refused_total{why="[a-z_]*"} [1-9]' <<<"$metrics" ||
  fail "no metric for the refused logins"

# 3. A real guard locked out by 5 wrong PINs (after the console-wide bucket refilled: 20
# attempts at 2 a second)...
sleep 10
for i in 1 2 3 4 5; do
  code=$(login "127.0.4.1$i" staff.txt 000000)
  [ "$code" = 401 ] || [ "$i" = 5 ] || fail "wrong PIN $i answered $code, not 401"
done
[ "$(login 127.0.4.2 staff.txt 246810)" = 429 ] || fail "the right PIN worked for a locked guard"
# ...stays locked while forged passes arrive from 200 spare addresses...
for i in $(seq 200); do login "127.0.5.$i" stranger.txt 1 >/dev/null; done
[ "$(login 127.0.4.3 staff.txt 246810)" = 429 ] || fail "the flood erased the guard's lock-out"
# ...and after gated restarts.
kill "$GATED"
wait "$GATED" 2>/dev/null || true
start_gated
[ "$(login 127.0.4.4 staff.txt 246810)" = 429 ] || fail "the lock-out vanished on restart"
[ "$(login 127.0.4.5 staff.txt 246810)" = 429 ] || fail "the lock-out vanished on restart"
echo "login_flood: rate-limited, aggregated, lock-out held through a flood and a restart"
