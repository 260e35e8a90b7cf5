#!/usr/bin/env bash
# The fleet benchmark: KIOSKS simulated kiosks (tools/fleet-sim: device keys, signed
# requests, list pulls verified against the authority key, journal batches) against
#   sqlite   one gate-upstream on its SQLite file,
#   pg-1     one gate-upstream on a real PostgreSQL 15 (started here, fsync on),
#   pg-2     two gate-upstream instances on that database, kiosks spread across them.
# Each row: passages ingested per second, against a raw batched INSERT of the same rows
# (the kiosks' batch size, one transaction a batch) into the same database in the same run; round
# latency p50/p99; the servers' peak resident memory. After every run `fleet-sim verify`
# checks the store holds exactly the kiosks' journals (nothing lost, nothing twice): the
# benchmark fails if not. Each kiosk keeps its connection between rounds (the upstream holds
# it for the device) and resumes its TLS session on a fresh one after a failure, as SyncClient
# does: the stderr line says how many connections and handshakes of each kind there were.
#   tests/bench/fleet/fleet.sh [KIOSKS [PASSAGES [ROUNDS]]]     (default 2000 20 2)
# GK_FLEET_CONFIGS="pg-1 pg-2" runs a subset; GK_FLEET_CONCURRENCY (default 64); GK_FLEET_BATCH
# (default 25) passages a journal batch (gated sends up to its [sync] batch_size, 500).
set -euo pipefail
source "$(dirname "$0")/../../lib/harness.sh"
source "$(dirname "$0")/../../lib/postgres.sh"
fail() {
  echo "FAIL: $*" >&2
  for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done
  exit 1
}
KIOSKS=${1:-2000}
PASSAGES=${2:-20}
ROUNDS=${3:-2}
BATCH=${GK_FLEET_BATCH:-25}
CONC=${GK_FLEET_CONCURRENCY:-64}
CONFIGS=${GK_FLEET_CONFIGS:-sqlite pg-1 pg-2}
cd "$T"
"$GATECTL" keygen --out issuer --site fleet-site >/dev/null
[[ "$CONFIGS" == *pg* ]] && pg_start

json_field() { sed -E "s/.*\"$2\":([^,}]*).*/\1/" <<<"$1"; }
rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# CPU seconds (user + system) a process has used so far: fields 14 and 15 of /proc/PID/stat,
# counted after the command name (which may hold spaces) in clock ticks.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz}' "/proc/$1/stat"; }

printf "%-8s %8s %10s %12s %12s %7s %9s %9s %s\n" config kiosks passages "ingest/s" "raw/s" ratio \
  "p50 ms" "p99 ms" "server peak RSS MiB"
for config in $CONFIGS; do
  rm -rf up && mkdir up
  case $config in
    sqlite) store="sqlite:$T/up"; instances=1 ;;
    pg-1 | pg-2)
      db="fleet_${config/-/_}"
      "$PG_BIN/createdb" -h "$PG_DIR" -p 5432 -U gk "$db"
      store="postgresql://gk@/$db?host=$PG_DIR&port=5432"
      instances=${config#pg-}
      ;;
    *) fail "unknown config $config" ;;
  esac
  "$BIN/gate-upstream" init --dir up --store "$store" >/dev/null
  "$BIN/fleet-sim" register --store "$store" --kiosks "$KIOSKS" >/dev/null || fail "register"
  urls=()
  pids=()
  for i in $(seq "$instances"); do
    rm -f "up$i.port"
    "$BIN/gate-upstream" serve --dir up --store "$store" --listen 127.0.0.1:0 \
      --port-file "up$i.port" 2>>"upstream-$config.log" &
    pids+=($!)
    PIDS+=($!)
    wait_file "up$i.port"
    urls+=(--url "https://127.0.0.1:$(cat "up$i.port")")
  done
  # Lists for the kiosks to pull (a revocation list, the site's state, the trust list),
  # published by URL as an operator does: gatectl has no other way in.
  UPSTREAM_STORE=(--store "$store")
  upstream_init up
  ops=("${urls[0]}" "${urls[1]}" --pin "$(cat up/tls.pin)" --operator ops --operator-key up-operator/ops.key)
  "$GATECTL" upstream revoke "${ops[@]}" 0123456789abcdef0123456789abcdef >/dev/null || fail "revoke"
  "$GATECTL" upstream site "${ops[@]}" --site fleet-site >/dev/null || fail "site"
  "$GATECTL" upstream trust "${ops[@]}" issuer/issuer.pub >/dev/null || fail "trust"
  cpu_before=0
  for p in "${pids[@]}"; do cpu_before=$(echo "$cpu_before + $(cpu_s "$p")" | bc -l); done
  out=$("$BIN/fleet-sim" run "${urls[@]}" --pin "$(cat up/tls.pin)" --authority-key up/authority.pub \
    --kiosks "$KIOSKS" --passages "$PASSAGES" --rounds "$ROUNDS" --batch "$BATCH" \
    --concurrency "$CONC" --time-limit 1200) || fail "$config: fleet-sim run (exit $?): $out"
  cpu_server=0
  for p in "${pids[@]}"; do cpu_server=$(echo "$cpu_server + $(cpu_s "$p")" | bc -l); done
  cpu_server=$(echo "$cpu_server - $cpu_before" | bc -l)
  rss=""
  for p in "${pids[@]}"; do rss+="$(rss_mib "$p") "; kill "$p"; wait "$p" 2>/dev/null || true; done
  check=$("$BIN/fleet-sim" verify --store "$store" --kiosks "$KIOSKS" --passages "$PASSAGES") ||
    fail "$config: the store does not hold exactly the kiosks' journals: $check"
  # The same batch size as the kiosks' (a round's passages, at most BATCH).
  raw_batch=$((PASSAGES / ROUNDS < BATCH ? PASSAGES / ROUNDS : BATCH))
  raw=$("$BIN/fleet-sim" raw --store "$store" --kiosks "$KIOSKS" --passages "$PASSAGES" --batch "$raw_batch") ||
    fail "$config: raw baseline"
  ours=$(json_field "$out" passages_per_s)
  base=$(json_field "$raw" rows_per_s)
  printf "%-8s %8d %10d %12.0f %12.0f %7.2f %9.1f %9.1f %s\n" "$config" "$KIOSKS" \
    "$(json_field "$out" passages)" "$ours" "$base" "$(echo "$ours / $base" | bc -l)" \
    "$(json_field "$out" round_ms_p50)" "$(json_field "$out" round_ms_p99)" "$rss"
  echo "  $config: $(json_field "$out" rounds) rounds, $(json_field "$out" failed_rounds) failed (retried), $(json_field "$out" requests) requests in $(json_field "$out" seconds) s; connections: $(json_field "$out" connections) ($(json_field "$out" requests_on_kept) requests on kept ones, $(json_field "$out" connections_found_closed) found closed); TLS handshakes: $(json_field "$out" tls_resumed) resumed, $(json_field "$out" tls_full) full, $(json_field "$out" tls_declined) declined, $(json_field "$out" tls_failed) failed; CPU: server $cpu_server s, kiosks $(json_field "$out" cpu_s) s; verify: $check" >&2
done
