#!/usr/bin/env bash
# Prints every benchmark table, or only the ones named:
#   tests/bench/run.sh                 all of them
#   tests/bench/run.sh pass            one (pass | revocation | journal | decoder | corpus | photos |
#                                      scan | loop | sync | nfc | e2e | fever | fleet; the area names
#                                      trust and camera work too)
# Figures are ratios against a baseline measured in the same run; nothing here fails on them.
# GK_BUILD_DIR=DIR uses another configured build tree (with GK_BUILD_BENCH=ON) than build/.
set -euo pipefail
cd "$(dirname "$0")/../.."
all=(pass revocation journal decoder corpus photos scan loop sync nfc e2e fever fleet)
want=()
for b in "${@:-${all[@]}}"; do
  case "$b" in
    pass | revocation | journal | decoder | corpus | photos | scan | loop | sync | nfc | e2e | fever | fleet) want+=("$b") ;;
    trust) want+=(revocation) ;;
    camera) want+=(decoder corpus photos scan loop) ;;
    *)
      echo "run.sh: unknown benchmark '$b' (pass, revocation, journal, decoder, corpus, photos, scan, loop, sync, nfc, e2e, fever, fleet)" >&2
      exit 2
      ;;
  esac
done
targets=()
for b in "${want[@]}"; do
  case "$b" in
    scan) targets+=(gatectl bench_raw_zxing_scan) ;;  # whole processes, timed by scan.sh
    nfc) targets+=(bench_nfc bench_nfc_tap) ;;        # the tap -> decision table
    fleet) targets+=(fleet-sim gate-upstream gatectl) ;;  # 2 000 kiosks, tests/bench/fleet
    *) targets+=("bench_$b") ;;
  esac
done
B=${GK_BUILD_DIR:-build}
if [ ! -f "$B/build.ninja" ]; then
  [ "$B" = build ] || { echo "run.sh: $B is not a configured build tree" >&2; exit 2; }
  cmake --preset release >/dev/null
fi
# Quiet on success; ninja prints compiler errors on stdout, so show the log on failure.
if ! log=$(cmake --build "$B" --target "${targets[@]}" 2>&1); then
  echo "$log" >&2
  exit 1
fi
for b in "${want[@]}"; do
  echo "== bench_$b =="
  case "$b" in
    # Through bash, as CTest runs them: a script's mode bit is lost by a patch or an archive,
    # and fleet.sh once shipped without it (this command failed on every clone).
    scan) bash tests/bench/camera/scan.sh "$B" ;;
    # Two kinds of round: 10 passages (a quiet gate, or a short interval) and 100 (a busy gate,
    # or a kiosk back from a day offline); a round's fixed cost (the signed time, at least one
    # signed upload; a handshake when the connection is new) weighs ten times more per passage
    # in the first. A kiosk's first round after a start is a first contact (a full TLS
    # handshake, every list pulled), every later one steady on its kept connection: 8 rounds
    # and 4 give a fleet that has been running a while, as a city's has (a kiosk starts once,
    # then syncs every minute), while still counting the first contacts.
    fleet)
      for plan in "80 8" "400 4"; do
        read -r passages rounds <<<"$plan"
        echo "fleet: 2 000 kiosks, $passages passages each in $rounds rounds ($((passages / rounds)) a round)"
        GK_BIN_DIR="$B/bin" bash tests/bench/fleet/fleet.sh 2000 "$passages" "$rounds"
      done
      ;;
    *) "$B/bench/bench_$b" ;;
  esac
  if [ "$b" = nfc ]; then echo; "$B/bench/bench_nfc_tap"; fi
  echo
done
