#!/usr/bin/env bash
# Two `gate-upstream serve` instances on one PostgreSQL database, kiosks spread across them
# (as a load balancer would): instance A is SIGKILLed in the middle of its kiosks' uploads,
# those kiosks carry on against instance B from wherever A's commits stopped. Afterwards
# the database holds every kiosk's journal exactly: row for row, hash for hash, nothing
# twice; and list numbers published through either side are one sequence.
GK_UPSTREAM_STORE=postgresql
source "$(dirname "$0")/lib.sh"

# lib.sh started instance A (behind the fault proxy) for kiosk-01; instance B serves directly.
A_PID=$UPSTREAM_PID
"$BIN/gate-upstream" serve "${SERVE_STORE[@]}" --listen 127.0.0.1:0 --port-file b.port 2>>b.log &
B_PID=$!
PIDS+=("$B_PID")
wait_file b.port
A_URL="https://127.0.0.1:$(cat proxy.port)"
B_URL="https://127.0.0.1:$(cat b.port)"

kiosks=(2 3 4 5)
for k in "${kiosks[@]}"; do
  "$GATECTL" keygen --out "dev$k" --name device >/dev/null
  upstream_cmd register --device "kiosk-0$k" --key "dev$k/device.pub" \
    --site "$SITE" >/dev/null
  # Even kiosks on A (through the slow proxy, so the kill lands mid-upload), odd ones on B.
  url=$B_URL
  [ $((k % 2)) = 0 ] && url=$A_URL
  sed -e "s#^state_dir = .*#state_dir = \"state$k\"#" -e "s#^device_id = .*#device_id = \"kiosk-0$k\"#" \
    -e "s#^device_key = .*#device_key = \"dev$k/device.key\"#" -e "s#^url = .*#url = \"$url\"#" \
    gated.toml >"gated$k.toml"
  {
    # Each kiosk at its own times: two devices with identical journals are what the upstream
    # refuses as a copy (rows are bound to the device that first sent them).
    echo "start_time = $((NOW + k * 7))"
    for _ in $(seq 150); do
      printf '[[step]]\npass_text = "%s"\ntemperature = 36.6\nexpect = "ok"\nadvance_s = 60\n' "$PASS_TEXT"
    done
  } >"scenario$k.toml"
  "$BIN/gated" --config "gated$k.toml" --scenario "scenario$k.toml" >/dev/null 2>&1 || fail "kiosk $k passages"
done
kiosk_rows() { sqlite3 "state$1/journal.db" "SELECT seq || ' ' || hash FROM passages ORDER BY seq"; }

echo "stall:40" >mode
jobs_=()
for k in "${kiosks[@]}"; do
  "$BIN/gated" sync --config "gated$k.toml" >"sync$k.log" 2>&1 &
  jobs_+=($!)
done
# Killed once A has committed some of kiosk-02's batches (bounded: 20 s).
for _ in $(seq 200); do
  [ "$(pg_sql "SELECT COUNT(*) FROM journal WHERE device='kiosk-02'")" -gt 0 ] && break
  sleep 0.1
done
kill -9 "$A_PID"
for j in "${jobs_[@]}"; do wait "$j" 2>/dev/null || true; done
# The operator turns to B as well.
sed "s#^url = .*#url = \"$B_URL\"#" up-operator/profile.toml >up-operator/profile-b.toml
export GATECTL_UPSTREAM_PROFILE=$PWD/up-operator/profile-b.toml
upstream_intact || fail "store after instance A was killed"
held=""
for k in "${kiosks[@]}"; do held+=" kiosk-0$k:$(upstream_journal "kiosk-0$k" | wc -l)"; done
echo "when A was killed the database held$held (of 150 each)"
n=$(upstream_journal kiosk-02 | wc -l)
[ "$n" -gt 0 ] && [ "$n" -lt 150 ] || fail "kiosk-02 held $n of 150 at the kill: not mid-upload"

# A's kiosks fail over to B (what the load balancer does once A stops answering).
for k in 2 4; do sed -i "s#^url = .*#url = \"$B_URL\"#" "gated$k.toml"; done
for k in "${kiosks[@]}"; do
  ok=0
  for _ in 1 2 3; do "$BIN/gated" sync --config "gated$k.toml" >>"sync$k.log" 2>&1 && { ok=1; break; }; done
  [ $ok = 1 ] || fail "kiosk $k does not complete on B: $(tail -2 "sync$k.log")"
  diff <(kiosk_rows "$k") <(upstream_journal "kiosk-0$k") >/dev/null ||
    fail "kiosk $k's journal differs in the database"
done
[ "$(upstream_duplicates)" = 0 ] || fail "passages stored twice"

# Numbering is the database's: publishes through both instances at once (A restarted) are 1..n.
start_upstream
for i in 1 2 3 4 5 6; do
  side=()
  [ $((i % 2)) = 0 ] && side=(--url "$B_URL")
  upstream_cmd site "${side[@]}" --site "$SITE" --quarantine "$i" --json >"site$i.json" &
done
wait_jobs=0
for j in $(jobs -p); do
  [ "$j" = "$B_PID" ] || [ "$j" = "$PROXY_PID" ] || [ "$j" = "$UPSTREAM_PID" ] || wait "$j" || wait_jobs=1
done
[ $wait_jobs = 0 ] || fail "a concurrent publish failed"
numbers=$(cat site*.json | grep -o '"number":[0-9]*' | cut -d: -f2 | sort -n | tr '\n' ' ')
[ "$numbers" = "1 2 3 4 5 6 " ] || fail "site state numbers under concurrent publishing: $numbers"
echo "sync_instances: 4 kiosks on 2 instances over one PostgreSQL, A killed mid-upload, all journals exact; 6 concurrent publishes numbered 1..6"
