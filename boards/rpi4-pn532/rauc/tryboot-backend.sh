#!/bin/sh
# RAUC "custom" boot-loader backend for the Raspberry Pi 4 without U-Boot: the Pi's own
# firmware picks the boot partition from autoboot.txt on partition 1, and `reboot "0 tryboot"`
# starts the [tryboot] partition once. Any later reset - a failed health check, a kernel
# panic, the watchdog, a power cut - starts the [all] default again. So an update is only
# kept when it is committed, which this script does on `rauc status mark-good`.
#
#   slot A = boot partition 2 (+ rootfs p5), slot B = boot partition 3 (+ rootfs p6)
#   autoboot.txt:   [all] tryboot_a_b=1 boot_partition=<default>  [tryboot] boot_partition=<other>
#   $STATE (data partition): state_A/state_B good|bad, try=<slot armed by set-primary>
#
# RAUC calls: get-primary, set-primary SLOT, get-state SLOT, set-state SLOT good|bad,
# get-current. For people and units: `reboot` (tryboot when an update is armed),
# `is-trying` (exit 0 when this boot is an uncommitted try), `after-health` (systemd
# ExecStopPost of gated-health.service: reboot back to the default when the check failed).
# The paths can be overridden (tests run this script against plain files).
set -eu
AUTOBOOT=${GK_TRYBOOT_AUTOBOOT:-/boot/autoboot/autoboot.txt}
STATE=${GK_TRYBOOT_STATE:-/var/lib/rauc/tryboot.state}
DT=${GK_TRYBOOT_DT:-/proc/device-tree/chosen/bootloader}
REBOOT=${GK_TRYBOOT_REBOOT:-systemctl reboot}

die() { echo "tryboot-backend: $*" >&2; exit 1; }
part_of() { case "$1" in A) echo 2 ;; B) echo 3 ;; *) die "unknown slot '$1' (A or B)" ;; esac; }
slot_of() { case "$1" in 2) echo A ;; 3) echo B ;; *) die "boot partition $1 is not a slot" ;; esac; }
other() { [ "$1" = A ] && echo B || echo A; }
# The firmware's device-tree values are 32-bit big-endian numbers.
dt_number() { [ -r "$DT/$1" ] && od -An -tu1 "$DT/$1" | awk '{ print $1*16777216 + $2*65536 + $3*256 + $4 }'; }

# [all] boot_partition, i.e. the committed default.
default_slot() {
  [ -r "$AUTOBOOT" ] || die "cannot read $AUTOBOOT (is the autoboot partition mounted?)"
  p=$(awk -F= '/^\[/{ s=$0 } s=="[all]" && $1=="boot_partition" { print $2 }' "$AUTOBOOT")
  [ -n "$p" ] || die "$AUTOBOOT has no [all] boot_partition"
  slot_of "$p"
}
write_autoboot() {  # default slot; the other one is the tryboot target
  tmp="$AUTOBOOT.new"
  printf '[all]\ntryboot_a_b=1\nboot_partition=%s\n[tryboot]\nboot_partition=%s\n' \
    "$(part_of "$1")" "$(part_of "$(other "$1")")" >"$tmp"
  sync "$tmp"
  mv "$tmp" "$AUTOBOOT"  # rename within the FAT directory: old or new file, never half
  sync "$(dirname "$AUTOBOOT")"
}

try='' state_A=good state_B=good
load() {
  # shellcheck disable=SC1090  # our own key=value file
  if [ -f "$STATE" ]; then . "$STATE"; fi
}
save() {
  mkdir -p "$(dirname "$STATE")"
  printf 'try=%s\nstate_A=%s\nstate_B=%s\n' "$try" "$state_A" "$state_B" >"$STATE.tmp"
  mv "$STATE.tmp" "$STATE"
}
booted_slot() { slot_of "$(dt_number partition || die "no $DT/partition: not booted by the Pi firmware?")"; }
is_trying() { [ "$(dt_number tryboot || echo 0)" = 1 ]; }

case "${1:-}" in
get-primary)
  load
  if [ -n "$try" ]; then echo "$try"; else default_slot; fi
  ;;
get-current) booted_slot ;;
set-primary)
  part_of "${2:-}" >/dev/null
  load
  d=$(default_slot)
  if [ "$2" = "$d" ]; then try=; else try=$2; fi
  eval "state_$2=good"
  save
  ;;
get-state)
  part_of "${2:-}" >/dev/null
  load
  eval "echo \$state_$2"
  ;;
set-state)
  part_of "${2:-}" >/dev/null
  case "${3:-}" in good | bad) ;; *) die "set-state: '${3:-}' is not good or bad" ;; esac
  load
  eval "state_$2=$3"
  if [ "$3" = good ]; then
    # Commit a tried slot: from now on every boot starts it.
    if is_trying && [ "$(booted_slot)" = "$2" ]; then write_autoboot "$2"; fi
  else
    [ "$try" = "$2" ] && try=
    # A committed slot gone bad falls back to the other one, if that one is good; a tried
    # slot needs nothing: the next ordinary reboot leaves it.
    if [ "$(default_slot)" = "$2" ] && [ "$(eval echo \$state_"$(other "$2")")" = good ]; then
      write_autoboot "$(other "$2")"
    fi
  fi
  save
  ;;
reboot)
  load
  if [ -n "$try" ]; then
    try=
    save  # armed once: a reboot without a new install is an ordinary one
    exec $REBOOT "0 tryboot"
  fi
  exec $REBOOT
  ;;
is-trying) is_trying ;;
after-health)
  # systemd sets SERVICE_RESULT for ExecStopPost. Only an uncommitted try is left: on a
  # committed slot a failed check is an alarm for the technician, not a reason to reboot.
  if [ "${SERVICE_RESULT:-success}" != success ] && is_trying; then
    # gatectl has already marked it when it ran; a failed start-up step has not.
    ${GK_TRYBOOT_RAUC:-rauc} status mark-bad booted || true
    echo "tryboot-backend: health check failed ($SERVICE_RESULT); back to slot $(default_slot)" >&2
    exec $REBOOT
  fi
  ;;
*) die "usage: $0 get-primary|get-current|set-primary SLOT|get-state SLOT|set-state SLOT good|bad|reboot|is-trying|after-health" ;;
esac
