#!/usr/bin/env bash
# What the upstream publishes reaches the gate, verified and whole:
#  - a revocation published upstream refuses the pass at the gate;
#  - a kiosk killed (SIGKILL) again and again while it downloads and applies a 200 000-entry
#    list keeps either the old list or the new one, never a mix, and its database intact;
#  - a quarantined building published upstream keeps its residents in;
#  - a trust list without our issuer makes its passes unknown; lists past their maximum age
#    are reported stale, with an alarm.
source "$(dirname "$0")/lib.sh"

passages 1 ok
sync_clean "the first round"
[ "$(sqlite3 state/revocation.db 'SELECT number FROM list')" = 0 ] || fail "no list expected yet"

# 200 000 revoked ids plus our resident's pass: 7 MB of JSON, over the listener's 5 MiB body
# limit, so gatectl sends them in 5 requests of at most 50 000 ids, lists 1..5, each audited.
od -An -vtx1 -w16 -N $((200000 * 16)) /dev/urandom | tr -d ' ' >ids.txt
echo "$PASS_ID" >>ids.txt
upstream_cmd revoke --file ids.txt --json >publish.json || fail "publish: $(tail -3 up.log)"
grep -q '"list":5,"lists":\[1,2,3,4,5\],"revoked":200001,' publish.json || fail "publish: $(cat publish.json)"
[ "$(upstream_cmd audit | grep -c ' ops revoke +[0-9]* -0 ok$')" = 5 ] || fail "5 audited publishes"
LIST=5

kills=0
echo "stall:15" >mode  # ~200 TLS records of 16 kB: the download takes about 3 s, resumed
for i in $(seq 15); do
  "$BIN/gated" sync --config gated.toml >>sync.log 2>&1 &
  pid=$!
  sleep "$((RANDOM % 2)).$((RANDOM % 10))"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null || true
  n=$(sqlite3 state/revocation.db 'SELECT number FROM list')
  rows=$(sqlite3 state/revocation.db 'SELECT COUNT(*) FROM revoked')
  case "$n:$rows" in
    0:0 | "$LIST:200001") ;;
    *) fail "after kill $i the kiosk holds list $n with $rows entries: a mix" ;;
  esac
  sqlite3 state/revocation.db "PRAGMA integrity_check" | grep -qx ok || fail "revocation.db after kill $i"
  sqlite3 state/sync.db "PRAGMA integrity_check" | grep -qx ok || fail "sync.db after kill $i"
  [ "$n" = "$LIST" ] && break
done
echo "sync_lists ($STORE_KIND): $kills kills during download/apply, each left the old list or the new one whole"
sync_clean "the kills"
[ "$(sqlite3 state/revocation.db 'SELECT number FROM list')" = "$LIST" ] || fail "list $LIST not applied"
passages 1 revoked

# Quarantine published upstream: a resident of building 5 may go home, not out.
read -r PASS_ID PASS_TEXT < <(issue)
upstream_cmd site --site "$SITE" --quarantine 5 >/dev/null
sync_clean "the site state"
{
  echo "start_time = $((NOW + 90000))"
  printf '[[step]]\npass_text = "%s"\ntemperature = 36.6\ndirection = "out"\nexpect = "building_quarantined"\n' "$PASS_TEXT"
  printf '[[step]]\npass_text = "%s"\ntemperature = 36.6\ndirection = "in"\nexpect = "ok"\n' "$PASS_TEXT"
} >scenario.toml
"$BIN/gated" --config gated.toml --scenario scenario.toml >>passages.log 2>scenario.log ||
  fail "quarantine from upstream not applied: $(tail -3 scenario.log)"

# A trust list without our issuer: its passes become unknown at the gate.
"$GATECTL" keygen --out other --site "$SITE" >/dev/null
upstream_cmd trust other/issuer.pub >/dev/null
sync_clean "the trust list"
passages 1 unknown_issuer
upstream_cmd trust other/issuer.pub issuer/issuer.pub >/dev/null
sync_clean "the second trust list"
passages 1 ok
sync_clean "the last passages"
journals_equal "all of it"

# Stale lists: no upstream for longer than the maximum age.
echo "max_age_revocations_s = 1" >>gated.toml
sleep 2
echo refuse >mode
if sync_once; then fail "sync through a refusing proxy succeeded"; fi
tail -3 sync.log | grep -q '"alarm":"lists_stale"' || fail "no stale alarm"
tail -3 sync.log | grep -q '"stale":true' || fail "status not stale"
echo "sync_lists ($STORE_KIND): revocation, quarantine and trust list from upstream applied at the gate"
