#!/usr/bin/env bash
# A gate on a winter morning (ambient 2 and 8 °C). Healthy foreheads there read ~32-33 °C,
# below the old 34.0 °C "implausible" floor that sent every one of them to the guard; with
# the ambient-aware estimate they are referred no more often than indoors, while a febrile
# resident is still stopped (fever) and a borderline one referred for re-measurement.
# The cold foreheads are real volunteers' (every 10th non-febrile row of
# tests/data/thermometry) carried from their room to the gate by the heat balance the model
# rests on (skin cooling 0.127 °C per °C of ambient): a scenario of the physics, not a
# measurement (README "Fever screening", limits).
set -euo pipefail
BIN=${GK_BIN_DIR:-build/bin}
DATA=${GK_SOURCE_DIR:-.}/tests/data/thermometry/fda_flir_subjects.csv
T=$(mktemp -d)
trap '[ -n "${GK_KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$T/keys" "$T/trust"
$BIN/gatectl keygen --out "$T/keys" --site site-1 >/dev/null
cp "$T/keys/issuer.pub" "$T/trust/"
NOW=$(date +%s)
text=$($BIN/gatectl issue --key "$T/keys/issuer.key" --site site-1 --building 5 --unit 2-301 \
  --name 测试 --valid-from "$NOW" --json | sed -E 's/.*"pass":"([^"]*)".*/\1/')
[[ $text == GK1:* ]] || fail "no pass issued"
printf 'board = "sim"\nstate_dir = "state"\ntrust_dir = "trust"\n[site]\nid = "site-1"\ncheckpoint = "cold gate"\n' \
  >"$T/gated.toml"

step() {  # step SKIN AMBIENT [EXPECT]
  printf '[[step]]\npass_text = "%s"\nskin = %s\nambient = %s\nadvance_s = 60\n' "$text" "$1" "$2"
  [ -z "${3:-}" ] || printf 'expect = "%s"\n' "$3"
}
# The healthy residents: skin at the gate = skin in their room - 0.127 * (room - gate).
awk -F, 'NR > 1 && $8 != "" && $8 < 37.5 && NR % 10 == 0 {
           for (g = 2; g <= 8; g += 6) printf "%.2f %d\n", $2 - 0.127 * ($5 - g), g }' "$DATA" \
  >"$T/healthy"
healthy=$(wc -l <"$T/healthy")
under=$(awk '$1 < 34.0' "$T/healthy" | wc -l)
[ "$healthy" -ge 80 ] || fail "only $healthy healthy passages in the scenario"
{
  echo "start_time = $((NOW + 10))"
  while read -r skin gate; do step "$skin" "$gate"; done <"$T/healthy"
  # A febrile resident (skin 36.95 °C in a 24 °C room: body ~38.6 °C) and a borderline one
  # (skin 35.95 °C indoors: ~37.6 °C), carried to a 2 °C gate the same way.
  step "$(awk 'BEGIN { printf "%.2f", 36.95 - 0.127 * 22 }')" 2 fever
  step "$(awk 'BEGIN { printf "%.2f", 35.95 - 0.127 * 22 }')" 2 temperature_recheck
  # Outside the range the model is trusted over: referred, never guessed.
  step 30.0 -25 temperature_implausible
} >"$T/scenario.toml"

$BIN/gated --config "$T/gated.toml" --scenario "$T/scenario.toml" >"$T/out.jsonl" 2>"$T/narration" \
  || { grep -B4 '!! expected' "$T/narration" | head -40; fail "cold gate scenario"; }
admitted=$(grep -c '"decision":"admit"' "$T/out.jsonl")
# Indoors the default thresholds pass 85.7 % of non-febrile people; at the cold gate the
# same people must not be referred en masse.
awk -v a="$admitted" -v h="$healthy" 'BEGIN { exit !(a >= 0.80 * h) }' \
  || fail "only $admitted of $healthy healthy passages admitted at 2-8 °C"
awk -v u="$under" -v h="$healthy" 'BEGIN { exit !(u >= 0.9 * h) }' \
  || fail "the scenario is not cold: only $under of $healthy foreheads under the old 34.0 floor"
grep '"reason":"fever"' "$T/out.jsonl" | grep -q '"ambient_c":2.0,' || fail "the febrile resident at 2 °C"
grep '"reason":"temperature_recheck"' "$T/out.jsonl" | grep -q '"ambient_c":2.0,' \
  || fail "the borderline resident"
# The journal keeps skin, ambient and estimate.
$BIN/gatectl journal export --format csv "$T/state/journal.db" >"$T/journal.csv"
grep -q ',fever,38\.[0-9],.*,3[0-9]\.[0-9][0-9],2\.00' "$T/journal.csv" || fail "skin and ambient not journaled"
echo "cold gate ok: $admitted of $healthy healthy passages at 2 and 8 °C admitted ($under under the old 34.0 floor); fever and borderline caught"
