#!/usr/bin/env bash
# issue -> PNG -> scan -> verify -> gated decision -> journal row, with the real binaries.
set -euo pipefail
BIN=${GK_BIN_DIR:-build/bin}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$T/keys" "$T/trust" "$T/frames"
$BIN/gatectl keygen --out "$T/keys" --site site-1 >/dev/null
[ "$(stat -c %a "$T/keys/issuer.key")" = 600 ] || fail "issuer.key is not 0600"
cp "$T/keys/issuer.pub" "$T/trust/"

NOW=$(date +%s)
$BIN/gatectl issue --key "$T/keys/issuer.key" --site site-1 --building 5 --unit 2-301 \
  --name 测试 --valid-from "$NOW" --png "$T/frames/p.png" --json >"$T/issued.json"
text=$(sed -E 's/.*"pass":"([^"]*)".*/\1/' "$T/issued.json")
id=$(sed -E 's/.*"id":"([0-9a-f]{32})".*/\1/' "$T/issued.json")
[[ $text == GK1:* ]] || fail "issue printed no pass"

# The kiosk's own decoder reads the PNG back to the same text.
scanned=$($BIN/gatectl scan "$T/frames/p.png" | cut -f2)
[ "$scanned" = "$text" ] || fail "scan read '$scanned'"

# verify: exit 0 valid; 1 with a reason otherwise (stdin, file and argument forms).
echo "$text" | $BIN/gatectl verify --trust "$T/trust/issuer.pub" --site site-1 - | grep -q '"valid":true' \
  || fail "verify from stdin"
set +e
$BIN/gatectl verify --trust "$T/trust" --site other-site "$text" >"$T/v.json"; rc=$?
set -e
[ $rc = 1 ] && grep -q '"reason":"wrong_site"' "$T/v.json" || fail "wrong site not refused (rc $rc)"
set +e
$BIN/gatectl verify --trust "$T/trust" --now $((NOW + 8 * 86400)) "$text" >"$T/v.json"; rc=$?
set -e
[ $rc = 1 ] && grep -q '"reason":"expired"' "$T/v.json" || fail "8 days later not expired"

# gated on board sim decides from the image and journals before the gate.
cat >"$T/gated.toml" <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "site-1"
checkpoint = "test gate"
[gate]
record_file = "state/pulses.log"
TOML
$BIN/gated config check "$T/gated.toml" >/dev/null || fail "config check"
$BIN/gatectl hw probe --config "$T/gated.toml" --json | grep -q '"healthy":true' || fail "hw probe"
$BIN/gatectl revoke --key "$T/keys/issuer.key" --number 1 --site site-1 --out "$T/rev.bin" "$id" >/dev/null
cat >"$T/scenario.toml" <<TOML
start_time = $((NOW + 10))
[[step]]
image = "frames/p.png"
temperature = 36.7
expect = "ok"
[[step]]
image = "frames/p.png"
direction = "out"
temperatures = [38.0, 38.2, 38.1]
expect = "fever"
[[step]]
revocations = "rev.bin"
image = "frames/p.png"
expect = "revoked"
TOML
$BIN/gated --config "$T/gated.toml" --scenario "$T/scenario.toml" >"$T/out.jsonl" 2>"$T/narration" \
  || { cat "$T/narration"; fail "scenario did not go as expected"; }
# stdout is the event stream: one line per decision, one per alarm raised.
[ "$(grep -c '"decision":' "$T/out.jsonl")" = 3 ] || fail "expected 3 decisions: $(cat "$T/out.jsonl")"
grep -q '"decision":"admit".*"temperature_c":36.7' "$T/out.jsonl" || fail "no admit line at 36.7"
grep -q '"alarm":"fever","seq":2' "$T/out.jsonl" || fail "no fever alarm event"
grep -q '"alarm":"revoked","seq":3' "$T/out.jsonl" || fail "no revoked alarm event"
[ "$(cat "$T/state/pulses.log")" = "pulse 800 seq 1" ] || fail "gate pulses: $(cat "$T/state/pulses.log")"

$BIN/gatectl journal verify "$T/state/journal.db" | grep -q '"ok":true' || fail "journal verify"
$BIN/gatectl journal export --format json "$T/state/journal.db" >"$T/rows.jsonl"
[ "$(wc -l <"$T/rows.jsonl")" = 3 ] || fail "journal rows"
grep -q "\"pass_id\":\"$id\"" "$T/rows.jsonl" || fail "journal row names the pass"
grep -q '"reason":"revoked"' "$T/rows.jsonl" || fail "revoked row"

# The MLX90614 driver on the chip model (SMBus words with PEC) measures the next entrant.
sed -e 's#^state_dir = "state"#state_dir = "state-mlx"#' "$T/gated.toml" >"$T/mlx.toml"
printf '[thermometer]\nkind = "sim-mlx90614"\nsim_idle_c = 36.6\n' >>"$T/mlx.toml"
printf 'start_time = %s\n[[step]]\nimage = "frames/p.png"\nexpect = "ok"\n' $((NOW + 10)) >"$T/mlx-scenario.toml"
$BIN/gated --config "$T/mlx.toml" --scenario "$T/mlx-scenario.toml" >"$T/mlx.jsonl" 2>"$T/narration" \
  || { cat "$T/narration"; fail "gated with the MLX90614 driver"; }
grep -q '"temperature_c":36.6' "$T/mlx.jsonl" || fail "MLX90614 reading not journaled: $(cat "$T/mlx.jsonl")"

# A row edited behind the journal's back is detected by gatectl journal verify.
sqlite3 "$T/state/journal.db" "UPDATE passages SET decision='admit' WHERE seq=2"
set +e
$BIN/gatectl journal verify "$T/state/journal.db" >"$T/verify.json"; rc=$?
set -e
[ $rc = 1 ] && grep -q '"first_bad_seq":2' "$T/verify.json" || fail "edit not detected"
echo "round trip ok"
