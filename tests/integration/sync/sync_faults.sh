#!/usr/bin/env bash
# Kiosk <-> fault proxy <-> gate-upstream on loopback, real TLS, SQLite on the kiosk and
# the upstream's store (SQLite, or PostgreSQL with GK_UPSTREAM_STORE=postgresql).
# After every fault (refused, reset mid-body both ways, truncated, garbled, duplicated and
# reordered bytes, 500s, stalls past the timeout, an answer lost after the upstream
# committed, stale acknowledgements, an upstream killed mid-upload) the next clean sync
# leaves the upstream's journal equal to the kiosk's: nothing lost, nothing twice.
source "$(dirname "$0")/lib.sh"

passages 60
sync_clean "the first upload"
journals_equal "the first upload"
[ "$(upstream_journal | wc -l)" = 60 ] || fail "60 passages expected upstream"

# A steady round (nothing new either way) is the signed time alone: the time document's
# heads show every list current and the journal acknowledged, so nothing else is asked.
requests() { curl -sk "https://127.0.0.1:$(cat up.port)/metrics" | grep '^gk_upstream_requests_total' | sort; }
before=$(requests)
sync_clean "a steady round"
after=$(requests)
changed=$(diff <(echo "$before") <(echo "$after") | grep '^>' || true)
[ "$(grep -c . <<<"$changed")" = 1 ] && grep -q 'route="/v1/time",status="200"' <<<"$changed" ||
  fail "a steady round asked more than the time: $changed"

# Transport faults (the proxy) and HTTP faults (the upstream), each on a fresh backlog.
faults=(
  # A round carries ~1.65 kB down (TLS handshake and the signed time with the round's heads
  # ~1.33 kB, then the journal acks: a kiosk holding every list pulls none) and ~2.3 kB + ~0.6
  # kB per passage up: offsets chosen to land in each phase.
  "mode refuse" "mode reset:200" "mode reset:1400" "mode reset-up:1500" "mode reset-up:9000"
  "mode truncate:1400" "mode garble:700" "mode garble:1450" "mode dup:100" "mode dup:1400"
  "mode reorder:100" "mode reorder:1400" "mode stall:3000"
  "faults http500=0.5" "faults drop_after_commit=1" "faults stale_ack=1"
  "faults drop_after_commit=0.5 stale_ack=0.5 http500=0.5"
)
for f in "${faults[@]}"; do
  read -r where what <<<"$f"
  passages 40
  echo "$what" >"$where"
  # A few rounds under the fault: they may fail, they must never corrupt anything. A fault
  # of chance (faults with a probability) gets up to 10 rounds to bite: a round with nothing
  # new is the signed time alone, so at http500=0.5 three rounds all pass one time in 16;
  # ten, about one in 4 000.
  failed=0
  rounds=0
  max=3
  [ "$where" = faults ] && [[ "$what" == *=0.* ]] && max=10
  while ((rounds < 3 || (failed == 0 && rounds < max))); do
    sync_once || failed=$((failed + 1))
    rounds=$((rounds + 1))
  done
  # Every fault must actually bite (else this test proves nothing), except stale acks,
  # which the client absorbs by resending from the mark it was given.
  [ "$what" = stale_ack=1 ] || [ $failed -gt 0 ] || fail "fault '$what' never made a round fail"
  echo "fault $what: $failed/$rounds rounds failed; last: $(grep -o 'gated: sync: .*' sync.log | tail -1)"
  sync_clean "$what"
  journals_equal "$what"
  upstream_intact || fail "upstream store after $what"
done

# Connection refused for real: nobody listening at all.
kill "$PROXY_PID"
wait "$PROXY_PID" 2>/dev/null || true
passages 10
if sync_once; then fail "a sync with nothing listening succeeded"; fi
grep -q "connect" sync.log || fail "refused connection not named"
start_proxy
write_config
sync_clean "connection refused"
journals_equal "connection refused"

# The upstream killed (SIGKILL) in the middle of a long upload, then restarted.
passages 400
echo "stall:40" >mode  # slow enough to be caught mid-upload
sync_once &
SYNC_PID=$!
sleep 1.5
kill -9 "$UPSTREAM_PID"
wait "$SYNC_PID" 2>/dev/null || true
upstream_intact || fail "upstream store after SIGKILL"
start_upstream
partial=$(upstream_journal | wc -l)  # what the killed instance had committed (read by URL)
kill "$PROXY_PID"
start_proxy
write_config
sync_clean "the upstream restart"
journals_equal "the upstream restart (it held $partial rows when killed)"

# Many kiosks at once: five more devices, each with its own key and journal, upload together.
for k in 2 3 4 5 6; do
  "$GATECTL" keygen --out "dev$k" --name device >/dev/null
  upstream_cmd register --device "kiosk-0$k" --key "dev$k/device.pub" --site "$SITE" >/dev/null
  sed -e "s#^state_dir = .*#state_dir = \"state$k\"#" -e "s#^device_id = .*#device_id = \"kiosk-0$k\"#" \
    -e "s#^device_key = .*#device_key = \"dev$k/device.key\"#" \
    -e "s#^url = .*#url = \"https://127.0.0.1:$(cat up.port)\"#" gated.toml >"gated$k.toml"
  {
    # Each kiosk at its own times: two devices with identical journals are what the upstream
    # refuses as a copy (rows are bound to the device that first sent them).
    echo "start_time = $((NOW + 90000 + k * 7))"
    for _ in $(seq 30); do
      printf '[[step]]\npass_text = "%s"\ntemperature = 36.6\nexpect = "ok"\nadvance_s = 60\n' "$PASS_TEXT"
    done
  } >"scenario$k.toml"
  "$BIN/gated" --config "gated$k.toml" --scenario "scenario$k.toml" >/dev/null 2>&1 || fail "kiosk $k passages"
done
for k in 2 3 4 5 6; do "$BIN/gated" sync --config "gated$k.toml" >"sync$k.log" 2>&1 & done
wait_all=0
for job in $(jobs -p); do
  [ "$job" = "$UPSTREAM_PID" ] || [ "$job" = "$PROXY_PID" ] || wait "$job" || wait_all=1
done
[ $wait_all = 0 ] || fail "a concurrent kiosk failed to sync: $(cat sync*.log | grep gated: | head -2)"
for k in 2 3 4 5 6; do
  diff <(sqlite3 "state$k/journal.db" "SELECT seq || ' ' || hash FROM passages ORDER BY seq") \
    <(upstream_journal "kiosk-0$k") >/dev/null ||
    fail "kiosk $k's journal differs upstream after concurrent uploads"
done

total=$(kiosk_journal | wc -l)
dups=$(upstream_duplicates)
[ "$dups" = 0 ] || fail "$dups duplicate passages upstream"
"$GATECTL" journal verify state/journal.db | grep -q '"ok":true' || fail "kiosk chain"
echo "sync_faults ($STORE_KIND): ${#faults[@]} fault kinds + refused + upstream SIGKILL; $total passages, identical on both sides; 5 kiosks uploading at once, each identical"
