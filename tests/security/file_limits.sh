#!/usr/bin/env bash
# Every file gated reads is typed and bounded (issue 14, item 6): a device, a FIFO, a
# directory or a huge file where a config, the enrolment list, the guards file or a key is
# expected is refused at once with the path named, never read into memory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$T"
mkdir trust
"$BIN/gatectl" keygen --out keys --site site-1 >/dev/null
cp keys/issuer.pub trust/
mkfifo fifo
truncate -s 40M big.txt
write_config() {  # write_config KEY VALUE: the [nfc] enrolment file or the guards file
  cat >gated.toml <<TOML
board = "sim"
state_dir = "state"
trust_dir = "trust"
[site]
id = "site-1"
checkpoint = "北门"
TOML
  case $1 in
  enrolment) printf '[nfc]\nconnstring = "sim"\nenrolment_file = "%s"\n' "$2" >>gated.toml ;;
  guards) printf '[console]\nlisten = "127.0.0.1:0"\nguards_file = "%s"\n' "$2" >>gated.toml ;;
  esac
}
# A 1 GiB address-space limit, so that slurping a device would fail fast; not under ASan,
# whose shadow memory alone needs more (the refusal comes before any read either way).
limit() { if [ -z "${ASAN_OPTIONS:-}" ]; then ulimit -v 1048576; fi; }
refused() {  # refused WHAT PATTERN: gated must exit non-zero within 10 s, saying PATTERN
  local rc=0
  (limit && timeout 10 "$BIN/gated" --config gated.toml) >out 2>&1 || rc=$?
  [ "$rc" != 0 ] || fail "$1: gated started"
  [ "$rc" != 124 ] || fail "$1: gated hung"
  grep -q "$2" out || fail "$1: not explained: $(head -c 300 out)"
  grep -q '"started"\|READY' out && fail "$1: reported started"
  echo "file_limits: $1: refused ($(grep -o "$2" out | head -1))"
}
for f in /dev/zero fifo big.txt .; do
  write_config enrolment "$f"
  refused "enrolment_file=$f" "not a regular file\|larger than"
done
chmod 600 big.txt
write_config guards big.txt
refused "guards_file=big.txt" "larger than"
(limit && timeout 10 "$BIN/gated" --config /dev/zero) >out 2>&1 && fail "config /dev/zero accepted"
grep -q "not a regular file" out || fail "config /dev/zero: $(head -c 300 out)"
echo "file_limits: --config /dev/zero: refused"
ln -s /dev/zero trust/zero.pub
write_config none ""
refused "trust key -> /dev/zero" "not a regular file"
rm trust/zero.pub
# The console's TLS certificate and key: OpenSSL is handed them from memory, read under the
# same limit (it once opened them itself, with no limit and no type check).
echo 246810 | "$BIN/gatectl" guard add --file guards \
  <("$BIN/gatectl" issue --key keys/issuer.key --site site-1 --role staff --name 王) >/dev/null
for f in /dev/zero fifo big.txt; do
  write_config none ""
  printf '[console]\nlisten = "0.0.0.0:0"\nguards_file = "guards"\ntls_cert = "%s"\ntls_key = "keys/issuer.key"\n' "$f" >>gated.toml
  refused "tls_cert=$f" "not a regular file\|larger than"
done
