#!/usr/bin/env bash
# Garbage on every command line and in every input file: a clear error and a usage exit
# code (2) or a refusal (1), never a crash (exit >= 128 means a signal).
set -uo pipefail
BIN=${GK_BIN_DIR:-build/bin}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0
expect_rc() {  # expect_rc WANTED CMD...
  local want=$1; shift
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL (rc $rc, wanted $want): $*"; cat "$T/err"; failures=$((failures + 1))
  elif [ "$rc" != 0 ] && [ ! -s "$T/err" ] && [ ! -s "$T/out" ]; then
    echo "FAIL (no message): $*"; failures=$((failures + 1))
  fi
}
$BIN/gatectl keygen --out "$T/k" >/dev/null
head -c 4096 /dev/urandom >"$T/random.bin"
printf 'board = "sim"\n[site\nid=' >"$T/broken.toml"

expect_rc 2 $BIN/gatectl
expect_rc 2 $BIN/gatectl frobnicate
expect_rc 2 $BIN/gatectl issue --key "$T/k/issuer.key"
expect_rc 2 $BIN/gatectl issue --key "$T/k/issuer.key" --site s --role alien
expect_rc 2 $BIN/gatectl issue --key "$T/k/issuer.key" --site s --valid-days -3
expect_rc 2 $BIN/gatectl issue --key "$T/random.bin" --site s
expect_rc 2 $BIN/gatectl issue --key "$T/k/issuer.key" --site "$(printf 'x%.0s' {1..40})"
expect_rc 2 $BIN/gatectl issue --key "$T/k/issuer.key" --site s --role visitor --host zz
expect_rc 2 $BIN/gatectl issue --key "$T/k/issuer.key" --site s --card-uid 0102
expect_rc 1 $BIN/gatectl verify --trust "$T/k/issuer.pub" "GK1:garbage"
expect_rc 1 $BIN/gatectl verify --trust "$T/k/issuer.pub" "$T/random.bin"
expect_rc 2 $BIN/gatectl verify --trust "$T/random.bin" "GK1:AAA"
expect_rc 2 $BIN/gatectl revoke --key "$T/k/issuer.key" --number 1 --out "$T/r" nothex
expect_rc 2 $BIN/gatectl revoke --key "$T/k/issuer.key" --number 0 --out "$T/r"
expect_rc 2 $BIN/gatectl journal verify "$T/random.bin"
expect_rc 2 $BIN/gatectl journal export --format xml "$T/random.bin"
expect_rc 2 $BIN/gatectl scan "$T/random.bin"
# Arguments are text people type: anything not UTF-8 is refused before any command runs
# (a lone continuation byte, an overlong '/', a UTF-16 surrogate, a truncated 3-byte form).
# Each of these would also be refused later for other reasons (no such file, no store), so
# the message is what shows the argument itself was refused.
expect_not_utf8() {  # expect_not_utf8 "argument N ..." CMD...
  local want=$1; shift
  expect_rc 2 "$@"
  grep -q "$want is not UTF-8 at byte" "$T/err" || {
    echo "FAIL: '$want' not refused as UTF-8: $*"; cat "$T/err"; failures=$((failures + 1)); }
}
for bad in $'\x80' $'\xc0\xaf' $'\xed\xa0\x80' $'\xe5\xbc'; do
  expect_not_utf8 "argument 7 (after --name)" \
    $BIN/gatectl issue --key "$T/k/issuer.key" --site s --name "张$bad"
  expect_not_utf8 "argument 6 (after --site)" $BIN/gatectl upstream site --url https://127.0.0.1:1 --site "$bad"
  expect_not_utf8 "argument 2 (after --config)" $BIN/gated --config "$bad"
  expect_not_utf8 "argument 3 (after --dir)" $BIN/gate-upstream serve --dir "$T$bad"
done
# Long Chinese text and quotes in an argument are text like any other: not refused as such.
long=$(printf '莲花北村北门%.0s' {1..200})
$BIN/gatectl issue --key "$T/k/issuer.key" --site s --name "$long\"'\\" >/dev/null 2>"$T/err"
grep -q "is not UTF-8" "$T/err" && { echo "FAIL: valid UTF-8 refused"; failures=$((failures + 1)); }
expect_rc 1 $BIN/gated config check "$T/broken.toml"
expect_rc 1 $BIN/gated config check "$T/random.bin"
expect_rc 2 $BIN/gated --config "$T/random.bin"
expect_rc 2 $BIN/gated --bogus
# The Raspberry Pi board on a machine without its devices: every device reported failed.
expect_rc 1 $BIN/gatectl hw probe --config boards/rpi4-pn532/gated.toml
grep -q "broken.toml:2:" <($BIN/gated config check "$T/broken.toml" 2>&1) \
  || { echo "FAIL: config error without a line number"; failures=$((failures + 1)); }
echo "$failures failures"
[ "$failures" = 0 ]
