#!/usr/bin/env bash
# Builds a signed RAUC bundle from a root file system image (and optionally a boot
# partition image).
#   make-bundle.sh --rootfs rootfs.ext4 [--boot boot.vfat] --cert signer.cert.pem \
#     --key signer.key.pem --version 1.2.0 --out gatekeeper-1.2.0.raucb \
#     [--compatible gatekeeper-rpi4-pn532] [--format verity|plain] [--intermediate ca.pem]
# The image's extension names its type for RAUC (.ext4 into the ext4 rootfs slots of
# system.conf, .vfat into the boot slots, .img raw). Needs rauc and squashfs-tools.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "make-bundle: $*" >&2; exit 1; }

rootfs='' boot='' cert='' key='' version='' out='' intermediate=''
compatible=gatekeeper-rpi4-pn532 format=verity
while (($#)); do
  case "$1" in -h | --help) usage ;; esac
  (($# >= 2)) || usage
  case "$1" in
  --rootfs) rootfs=$2 ;;
  --boot) boot=$2 ;;
  --cert) cert=$2 ;;
  --key) key=$2 ;;
  --version) version=$2 ;;
  --out) out=$2 ;;
  --compatible) compatible=$2 ;;
  --format) format=$2 ;;
  --intermediate) intermediate=$2 ;;
  *) echo "make-bundle: unknown argument '$1'" >&2; usage ;;
  esac
  shift 2
done
for v in "$rootfs" "$cert" "$key" "$version" "$out"; do [ -n "$v" ] || usage; done
command -v rauc >/dev/null || die "rauc is not installed (apt-get install rauc squashfs-tools)"
command -v mksquashfs >/dev/null || die "mksquashfs is not installed (apt-get install squashfs-tools)"
for f in "$rootfs" "$cert" "$key" ${boot:+"$boot"}; do [ -f "$f" ] || die "$f: no such file"; done
case "$format" in verity | plain) ;; *) die "--format must be verity or plain" ;; esac
[[ $version =~ ^[0-9A-Za-z.+~_-]+$ ]] || die "--version '$version': letters, digits and .+~_- only"
[ ! -e "$out" ] || die "$out exists (RAUC never overwrites a bundle)"

ext() { local b; b=$(basename "$1"); [[ $b == *.* ]] && echo "${b##*.}" || echo img; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/content"
rootfs_name="rootfs.$(ext "$rootfs")"
cp --sparse=always "$rootfs" "$work/content/$rootfs_name"
sed -e "s|@COMPATIBLE@|$compatible|" -e "s|@VERSION@|$version|" -e "s|@FORMAT@|$format|" \
  -e "s|@BUILD@|$(date -u +%Y%m%dT%H%M%SZ)|" -e "s|@ROOTFS@|$rootfs_name|" \
  "$here/manifest.raucm.in" >"$work/content/manifest.raucm"
if [ -n "$boot" ]; then
  boot_name="boot.$(ext "$boot")"
  cp "$boot" "$work/content/$boot_name"
  printf '\n[image.boot]\nfilename=%s\n' "$boot_name" >>"$work/content/manifest.raucm"
fi
rauc bundle --cert="$cert" --key="$key" ${intermediate:+--intermediate="$intermediate"} \
  "$work/content" "$out"
echo "make-bundle: $out ($compatible $version, $format)"
