#!/usr/bin/env bash
# The operators' API end to end: gate-upstream serve on loopback, operators added on the
# server host (gate-upstream operator add), and gatectl upstream ... --url driving register,
# revoke, retire, journal and audit over pinned TLS, including a refused role, an unknown
# operator, a retired operator, a profile instead of the four options, a key others may read,
# hostile text in every field a person types, and the audit rows all of it left.
# GK_UPSTREAM_STORE=postgresql: the same against a real PostgreSQL 15 the script starts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/postgres.sh"
fail() {
  echo "FAIL: $*" >&2
  [ -f "$T/upstream.log" ] && tail -5 "$T/upstream.log" >&2
  exit 1
}
cd "$T"
# STORE: gate-upstream's options (the server host's own tool, the only one with the database).
STORE=(--dir up)
if [ "${GK_UPSTREAM_STORE:-sqlite}" = postgresql ]; then
  pg_start
  STORE=(--dir up --store "$PG_URL")
fi
UP=("$BIN/gate-upstream")

"${UP[@]}" init "${STORE[@]}" >/dev/null
for who in reg pub aud; do "$GATECTL" keygen --out "op-$who" --name "$who" >/dev/null; done
"${UP[@]}" operator add "${STORE[@]}" --id reg --key op-reg/reg.pub --roles registrar >/dev/null
"${UP[@]}" operator add "${STORE[@]}" --id pub --key op-pub/pub.pub --roles publisher >/dev/null
"${UP[@]}" operator add "${STORE[@]}" --id aud --key op-aud/aud.pub --roles auditor,registrar |
  grep -qx "operator aud added: auditor,registrar" || fail "operator add"
"${UP[@]}" operator add "${STORE[@]}" --id pub --key op-pub/pub.pub --roles auditor 2>/dev/null &&
  fail "an operator id was reused"
"${UP[@]}" operator add "${STORE[@]}" --id x --key op-pub/pub.pub --roles root 2>/dev/null &&
  fail "an unknown role was accepted"
"${UP[@]}" operator list "${STORE[@]}" | grep -qx "pub publisher" || fail "operator list"

"${UP[@]}" serve "${STORE[@]}" --listen 127.0.0.1:0 --port-file up.port 2>>upstream.log &
PIDS+=("$!")
wait_file up.port
URL="https://127.0.0.1:$(cat up.port)"
PIN=$(cat up/tls.pin)
as() {  # as OPERATOR gatectl-upstream-arguments...
  local who=$1 cmd=$2
  shift 2
  "$GATECTL" upstream "$cmd" --url "$URL" --pin "$PIN" --operator "$who" --operator-key "op-$who/$who.key" "$@"
}

# Register, as today's local command prints it.
"$GATECTL" keygen --out dev --name device >/dev/null
out=$(as reg register --device kiosk-01 --key dev/device.pub --site site-1 --checkpoint "北门")
[ "$out" = "device kiosk-01 registered for site-1" ] || fail "register: $out"
as reg register --device kiosk-02 --key dev/device.pub --site site-1 --json | grep -q '"registered":true' ||
  fail "register --json"

# A refused role: the publisher may not register, the registrar may not publish.
set +e
err=$(as pub register --device kiosk-03 --key dev/device.pub --site site-1 2>&1 >/dev/null)
code=$?
set -e
[ "$code" = 1 ] || fail "a refused role exits 1, not $code"
echo "$err" | grep -q "403 forbidden: needs role registrar" || fail "refusal names the role: $err"
as reg revoke "$(printf 'ab%.0s' $(seq 16))" 2>/dev/null && fail "the registrar published a revocation"

# Revoke, as the publisher.
out=$(as pub revoke "$(printf 'ab%.0s' $(seq 16))" "$(printf 'cd%.0s' $(seq 16))")
[ "$out" = "revocation list 1: 2 revoked, 0 unrevoked" ] || fail "revoke: $out"
as pub revoke --unrevoke "$(printf 'cd%.0s' $(seq 16))" --json | grep -q '"list":2' || fail "unrevoke"

# A revocation whose answer is lost: fault-proxy cuts each connection after N bytes from the
# upstream, for N across the handshake and the answer. Where the cut falls after the upstream
# applied the request, gatectl gets no answer and sends it twice more under the same request
# id: every attempt is audited, but the list is made once, and no number is skipped.
"$BIN/fault-proxy" --upstream "127.0.0.1:$(cat up.port)" --mode-file mode --port-file proxy.port \
  2>>proxy.log &
PIDS+=("$!")
wait_file proxy.port
audited_revokes() { as aud audit | { grep -c " pub revoke +1 -0 ok$" || true; }; }
rows_before=$(audited_revokes)
succeeded=0
for n in $(seq 500 100 4000); do
  echo "reset:$n" >mode
  "$GATECTL" upstream revoke --url "https://127.0.0.1:$(cat proxy.port)" --pin "$PIN" --operator pub \
    --operator-key op-pub/pub.key "$(od -An -vtx1 -N16 /dev/urandom | tr -d ' \n')" >/dev/null 2>&1 &&
    succeeded=$((succeeded + 1))
done
rows=$(($(audited_revokes) - rows_before))
next=$(as pub revoke --json "$(printf '12%.0s' $(seq 16))" | jq .list)
made=$((next - 3))  # lists 1 and 2 were made above; `next` is the one after the loop's
[ "$rows" -gt "$succeeded" ] || fail "no cut fell after the upstream applied a request ($rows rows, $succeeded answered)"
[ "$made" = $((succeeded + (rows - succeeded) / 3)) ] ||
  fail "$made lists for $succeeded answered and $((rows - succeeded)) unanswered attempts: a re-send made a list"

# The wrong key, an unknown operator, the wrong pin: refused before anything happens.
"$GATECTL" upstream devices --url "$URL" --pin "$PIN" --operator reg --operator-key op-pub/pub.key 2>/dev/null &&
  fail "another operator's key was accepted"
err=$("$GATECTL" upstream devices --url "$URL" --pin "$PIN" --operator nobody \
  --operator-key op-pub/pub.key 2>&1) && fail "an unknown operator was accepted"
echo "$err" | grep -q "401 not_authenticated" || fail "unknown operator: $err"
"$GATECTL" upstream devices --url "$URL" --pin "sha256:$(printf '0%.0s' $(seq 64))" --operator reg \
  --operator-key op-reg/reg.key 2>/dev/null && fail "a wrong pin was accepted"

# Retire a device: listed as retired, its journal still readable.
[ "$(as reg retire --device kiosk-02)" = "device kiosk-02 retired" ] || fail "retire"
as aud devices | grep -qx "kiosk-02 site-1 retired" || fail "devices: $(as aud devices)"
as aud journal --device kiosk-02 >journal.txt || fail "journal of a retired device"
[ ! -s journal.txt ] || fail "an empty journal printed something"
as pub journal --device kiosk-01 2>/dev/null && fail "the publisher read a journal"

# A profile names the upstream and the operator (relative key path: the profile's folder);
# options given override it.
printf 'url = "%s"\npin = "%s"\noperator = "pub"\noperator_key = "pub.key"\n' "$URL" "$PIN" \
  >op-pub/profile.toml
GATECTL_UPSTREAM_PROFILE=op-pub/profile.toml "$GATECTL" upstream site --site site-1 \
  --outbreak lockdown >/dev/null || fail "site state by the profile in the environment"
"$GATECTL" upstream devices --profile op-pub/profile.toml --operator aud \
  --operator-key op-aud/aud.key | grep -q "^kiosk-01 " || fail "options override the profile"
err=$("$GATECTL" upstream devices 2>&1) && fail "no upstream named, yet it ran"
echo "$err" | grep -q -- "--profile" || fail "what is missing is named: $err"
printf 'url = "%s"\nurl_typo = 1\n' "$URL" >bad-profile.toml
err=$("$GATECTL" upstream devices --profile bad-profile.toml 2>&1) && fail "a broken profile was used"
echo "$err" | grep -q "url_typo" || fail "unknown profile key named: $err"
# A secret key others may read is refused before anything is sent (document/insecure).
chmod 644 op-pub/pub.key
err=$("$GATECTL" upstream site --profile op-pub/profile.toml --site site-1 2>&1) &&
  fail "a key readable by others was used"
echo "$err" | grep -q "insecure" || fail "insecure key: $err"
chmod 600 op-pub/pub.key

# Text people type, through gatectl, HTTPS and the store and back. Free text (a checkpoint,
# a building) is any UTF-8 up to its limit, quotes and backslashes included; ids are 1..64
# bytes without quotes, backslashes or control characters, and refused cleanly otherwise.
odd=$'莲花北村 "北门" \\ \'x\' \t\u00e9'
long_id=$(printf '莲%.0s' $(seq 21))  # 63 bytes
as reg register --device "$long_id" --key dev/device.pub --site "$long_id" --checkpoint "$odd" >/dev/null ||
  fail "a 63-byte UTF-8 id"
as aud devices --json | jq -e --arg id "$long_id" --arg c "$odd" \
  '.devices[] | select(.id == $id and .site == $id and .checkpoint == $c)' >/dev/null ||
  fail "free text did not come back intact: $(as aud devices --json)"
as aud journal --device "$long_id" >/dev/null || fail "journal of a UTF-8 id (percent-encoded query)"
for bad in "kiosk\"1" 'kiosk\1' "$(printf '莲%.0s' $(seq 22))" "kiosk$(printf '\t')1"; do
  set +e
  err=$(as reg register --device "$bad" --key dev/device.pub --site site-1 2>&1)
  code=$?
  set -e
  [ "$code" = 2 ] || fail "id '$bad': exit $code, not 2"
  echo "$err" | grep -q "400 schema: id: " || fail "id '$bad' refused unclearly: $err"
  set +e
  as aud journal --device "$bad" >/dev/null 2>&1
  code=$?
  set -e
  [ "$code" = 2 ] || fail "journal of id '$bad': exit $code"
done
err=$(as pub site --site site-1 --quarantine "$(printf 'x%.0s' $(seq 257))" 2>&1) &&
  fail "a 257-byte building name"
echo "$err" | grep -q "longer than 256 bytes" || fail "building length: $err"
as pub site --site site-1 --quarantine "$odd" --quarantine "$(printf '楼%.0s' $(seq 85))" >/dev/null ||
  fail "quoted and 255-byte building names"
# An operator id no operator can have is the same 401 as a stranger's, and breaks nothing.
for who in 'a"b' 'a\b' "$(printf 'o%.0s' $(seq 65))"; do
  err=$("$GATECTL" upstream devices --url "$URL" --pin "$PIN" --operator "$who" \
    --operator-key op-aud/aud.key 2>&1) && fail "operator '$who' accepted"
  echo "$err" | grep -q "upstream answered 401" || fail "operator '$who': $err"
done
# NUL: no shell argument can hold one (the kernel's argv strings end at it); a file can, and
# the upstream refuses it in every text field (a pass text here) before any action.
printf 'PASS\0TEXT\n' >nul.txt
err=$(as pub enrol --site site-1 nul.txt 2>&1) && fail "a pass text with NUL was published"
echo "$err" | grep -q "passes: contains NUL" || fail "NUL refused unclearly: $err"

# A retired operator is refused like a stranger.
"${UP[@]}" operator retire "${STORE[@]}" --id pub >/dev/null
err=$(as pub revoke "$(printf 'ef%.0s' $(seq 16))" 2>&1) && fail "a retired operator published"
echo "$err" | grep -q "401 not_authenticated" || fail "retired operator: $err"

# The audit log: every action, refused ones too, by whom; no body, only its digest.
as aud audit >audit.txt
grep -q " local add_operator reg ok$" audit.txt || fail "operator add audited"
grep -q " local add_operator pub database/refused$" audit.txt || fail "refused re-add audited"
grep -q " reg register_device kiosk-01 ok$" audit.txt || fail "register audited"
grep -q " pub register_device - forbidden$" audit.txt || fail "refused role audited"
grep -q " reg revoke - forbidden$" audit.txt || fail "refused publish audited"
grep -q " pub revoke +2 -0 ok$" audit.txt || fail "revoke audited"
grep -q " reg retire_device kiosk-02 ok$" audit.txt || fail "retire audited"
grep -q " aud read_journal kiosk-02 ok$" audit.txt || fail "journal read audited"
grep -q " pub site_state site-1 ok$" audit.txt || fail "profile's action audited"
grep -q " pub site_state - document/schema$" audit.txt || fail "refused text audited"
grep -q " reg register_device - document/schema$" audit.txt || fail "refused id audited"
grep -q " pub enrolment - document/schema$" audit.txt || fail "refused NUL audited"
grep -q " local retire_operator pub ok$" audit.txt || fail "operator retire audited"
grep -q "nobody" audit.txt && fail "an unauthenticated request reached the audit log"
grep -q "北门" audit.txt && fail "a body's content reached the audit log"
# Whole to a file: `| head -1` would close the pipe on gatectl (SIGPIPE) under pipefail.
as aud audit --json >audit.json
head -1 audit.json | grep -q '"digest":"[0-9a-f]\{64\}"' || fail "audit digest"

# Counted in /metrics.
# (Read whole first: grep -q stops at the first match, and curl, cut off, fails the pipe.)
metrics=$(curl -sk "$URL/metrics")
grep -q 'gk_upstream_operator_refused_total{cause="role"} [1-9]' <<<"$metrics" || fail "metrics"
echo "sync_operators: ok"
