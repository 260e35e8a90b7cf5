#!/usr/bin/env bash
# gatectl thermometer: the estimate on any CSV decided as the kiosk decides, and the
# technician's calibration of a sensor out of calibration (the MLX90614 chip model with a
# gain and offset error), stored per device and checked by gatectl health.
set -euo pipefail
BIN=${GK_BIN_DIR:-build/bin}
DATA=${GK_SOURCE_DIR:-.}/tests/data/thermometry/fda_flir_subjects.csv
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- estimate: columns found by name, others ignored, quotes honoured ---
cat >"$T/in.csv" <<'CSV'
name,ambient_c,skin_c,note
"Zhang, Wei",24.0,35.30,"healthy, indoors"
李娜,24.0,36.60,"the old rule let her in"
王芳,24.0,35.80,borderline
赵,2.0,32.50,"healthy, winter gate"
x,-25,30.0,outside the model
CSV
$BIN/gatectl thermometer estimate --csv "$T/in.csv" >"$T/out.csv" || fail "estimate"
expected=$'estimate_c,decision\n37.0,ok\n38.3,fever\n37.5,refer\n36.8,ok\n37.7,refer'
[ "$(cat "$T/out.csv")" = "$expected" ] || fail "estimate printed: $(cat "$T/out.csv")"
# The config's thresholds are the ones used.
printf 'state_dir = "s"\ntrust_dir = "t"\n[site]\nid = "x"\ncheckpoint = "y"\nrefer_from_c = 38.0\nfever_threshold_c = 38.0\n' >"$T/strict.toml"
$BIN/gatectl thermometer estimate --csv "$T/in.csv" --config "$T/strict.toml" | sed -n 4p | grep -qx '37.5,ok' \
  || fail "--config thresholds not applied"
# A bad row is named and nothing is printed.
printf 'skin_c,ambient_c\n35.3,24\nwarm,24\n' >"$T/bad.csv"
set +e
$BIN/gatectl thermometer estimate --csv "$T/bad.csv" >"$T/bad.out" 2>"$T/bad.err"; rc=$?
set -e
[ $rc = 2 ] && grep -q 'bad.csv:3' "$T/bad.err" && [ ! -s "$T/bad.out" ] || fail "bad row: rc $rc $(cat "$T/bad.err")"
printf 'skin,ambient\n35,24\n' >"$T/nocol.csv"
set +e
$BIN/gatectl thermometer estimate --csv "$T/nocol.csv" 2>"$T/nocol.err"; rc=$?
set -e
[ $rc = 2 ] && grep -q 'skin_c and ambient_c' "$T/nocol.err" || fail "missing columns: rc $rc"

# The whole FDA file through the CLI gives the README's shares at the defaults.
awk -F, 'BEGIN { print "skin_c,ambient_c,oral_c" } NR > 1 && $8 != "" { print $2 "," $5 "," $8 }' "$DATA" \
  >"$T/fda.csv"
$BIN/gatectl thermometer estimate --csv "$T/fda.csv" | tail -n +2 | paste -d, - <(tail -n +2 "$T/fda.csv") \
  | awk -F, '{ if ($5 >= 37.5) { f++; if ($2 != "ok") c++ } else { o++; if ($2 == "ok") p++ } }
             END { printf "%d %d %d %d\n", f, c, o, p }' >"$T/shares"
read -r febrile checked others passed <"$T/shares"
[ "$febrile" = 55 ] || fail "febrile count $febrile"
awk -v c="$checked" -v f="$febrile" -v p="$passed" -v o="$others" \
  'BEGIN { exit !(c >= 0.8 * f && p >= 0.85 * o) }' \
  || fail "at the defaults $checked/$febrile febrile checked, $passed/$others others passed"

# --- calibration: a chip reading 3 % high and 0.5 °C off ---
mkdir -p "$T/cal/state" "$T/cal/trust"
cal_config() {  # cal_config BLACKBODY_C
  printf 'board = "sim"\nstate_dir = "state"\ntrust_dir = "trust"\n[site]\nid = "x"\ncheckpoint = "y"\n' >"$T/cal/gated.toml"
  printf '[thermometer]\nkind = "sim-mlx90614"\nsim_skin_c = %s\nsim_gain_error = 1.03\nsim_offset_error_c = -0.5\n' "$1" \
    >>"$T/cal/gated.toml"
}
cal_config 33.0
$BIN/gatectl health --config "$T/cal/gated.toml" --json >"$T/h0.json" || true
grep -q '"check":"thermometer_calibration","detail":"[^"]*not calibrated' "$T/h0.json" \
  || fail "uncalibrated sensor not reported: $(cat "$T/h0.json")"
# Before: the 33.0 °C blackbody reads ~33.49 (1.03*33 - 0.5).
grep -q "\"detail\":\"mlx90614: 33.[45][0-9] C\"" "$T/h0.json" || fail "the chip's error is not there: $(cat "$T/h0.json")"
$BIN/gatectl thermometer calibrate --config "$T/cal/gated.toml" --reference 33.0 --json >"$T/c1.json" \
  || fail "calibrate at 33"
grep -q '"points":1' "$T/c1.json" || fail "first point: $(cat "$T/c1.json")"
cal_config 40.0
$BIN/gatectl thermometer calibrate --config "$T/cal/gated.toml" --reference 40.0 --json >"$T/c2.json" \
  || fail "calibrate at 40"
grep -q '"points":2' "$T/c2.json" && grep -q '"gain":1.0[23]' "$T/c2.json" || fail "second point: $(cat "$T/c2.json")"
[ "$(stat -c %a "$T/cal/state/thermometer-calibration.json")" = 644 ] || fail "calibration file mode"
# After: the sensor, through gated's board, reads the reference it is aimed at.
cal_config 36.5
$BIN/gatectl health --config "$T/cal/gated.toml" --json >"$T/h1.json" || true
grep -q '"check":"thermometer_calibration","detail":"mlx90614-0123456789abcdef: gain 1.0[23]' "$T/h1.json" \
  || fail "calibration not checked by health: $(cat "$T/h1.json")"
grep -q "\"detail\":\"mlx90614 (calibrated): 36.[45][0-9] C\"" "$T/h1.json" || fail "calibrated reading: $(cat "$T/h1.json")"
grep -q '"check":"thermometer_calibration","detail":"[^"]*","status":"ok"' "$T/h1.json" \
  || fail "calibration status"
# A damaged calibration file stops the board rather than being ignored.
echo '{"kind":"gk-thermometer-calibration","devices":[{"device":"x"}]}' >"$T/cal/state/thermometer-calibration.json"
set +e
$BIN/gatectl hw probe --config "$T/cal/gated.toml" >/dev/null 2>"$T/probe.err"; rc=$?
set -e
[ $rc != 0 ] && grep -q 'thermometer-calibration.json' "$T/probe.err" || fail "damaged file: rc $rc"
echo "thermometer cli ok"
