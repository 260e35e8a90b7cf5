#!/bin/sh
# RAUC "custom" boot-loader backend for the sim board: the A/B boot state lives in a plain
# file instead of a boot loader, with the same one-shot "try" semantics as the Raspberry
# Pi's tryboot (boards/rpi4-pn532/rauc/tryboot-backend.sh):
#   default=A   the slot every ordinary boot starts (autoboot.txt [all] boot_partition)
#   try=B       armed by set-primary: the next boot only starts B, once
#   trying=B    the running boot is such a one-shot try; mark-good commits it as default,
#               mark-bad (or any reboot without a commit) returns to the default
#   state_A / state_B   good | bad, as RAUC last set them
# RAUC calls: get-primary, set-primary SLOT, get-state SLOT, set-state SLOT good|bad
# (and get-current on newer RAUC). Simulation only: `boot` plays a reboot and prints the
# slot that starts; `show` prints the state; `init` writes A-as-default.
# The state file is $GK_AB_STATE (the test exports it to the rauc service it starts).
set -eu
STATE=${GK_AB_STATE:?GK_AB_STATE must name the A/B state file}

die() { echo "ab-backend: $*" >&2; exit 1; }
check_slot() { case "${1:-}" in A | B) ;; *) die "unknown slot '${1:-}' (A or B)" ;; esac; }
other() { [ "$1" = A ] && echo B || echo A; }

default=A try='' trying='' booted=A state_A=good state_B=good
load() {
  [ -f "$STATE" ] || die "no state file $STATE (run: $0 init)"
  # shellcheck disable=SC1090  # our own key=value file
  . "$STATE"
}
save() {
  tmp="$STATE.tmp"
  printf 'default=%s\ntry=%s\ntrying=%s\nbooted=%s\nstate_A=%s\nstate_B=%s\n' \
    "$default" "$try" "$trying" "$booted" "$state_A" "$state_B" >"$tmp"
  mv "$tmp" "$STATE"  # a crash leaves the old or the new state, never half of one
}

cmd=${1:-}
case "$cmd" in
init) save ;;
get-primary)
  load
  if [ -n "$try" ]; then echo "$try"; else echo "$default"; fi
  ;;
get-current)
  load
  echo "$booted"
  ;;
set-primary)
  check_slot "${2:-}"
  load
  if [ "$2" = "$default" ]; then try=; else try=$2; fi
  eval "state_$2=good"
  save
  ;;
get-state)
  check_slot "${2:-}"
  load
  eval "echo \$state_$2"
  ;;
set-state)
  check_slot "${2:-}"
  case "${3:-}" in good | bad) ;; *) die "set-state: '${3:-}' is not good or bad" ;; esac
  load
  eval "state_$2=$3"
  if [ "$3" = good ]; then
    # The tried slot proved itself: it becomes the default (Pi: autoboot.txt rewritten).
    if [ "$trying" = "$2" ]; then default=$2 trying=; fi
  else
    [ "$try" = "$2" ] && try=
    [ "$trying" = "$2" ] && trying=  # the next (ordinary) boot starts the default again
    # A committed slot gone bad: fall back to the other one, if that one is good.
    if [ "$default" = "$2" ] && [ "$(eval echo \$state_"$(other "$2")")" = good ]; then
      default=$(other "$2")
    fi
  fi
  save
  ;;
boot)
  load
  if [ -n "$try" ]; then booted=$try trying=$try try=; else booted=$default trying=; fi
  save
  echo "$booted"
  ;;
show)
  load
  cat "$STATE"
  ;;
*) die "usage: $0 get-primary|get-current|set-primary SLOT|get-state SLOT|set-state SLOT good|bad|boot|show|init" ;;
esac
