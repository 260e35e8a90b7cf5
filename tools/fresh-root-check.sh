#!/usr/bin/env bash
# The README's two commands as a newcomer meets them: a fresh Debian 12 root (debootstrap
# --variant=minbase bookworm, nothing else installed), a clone of this repository in it, then
# `tools/demo.sh` and `tools/test.sh` inside, as root. Run before each release (on main), and
# whenever setup.sh, demo.sh, test.sh or the package list change: the development machines
# have things installed that a fresh machine has not, so only this run shows what is missing.
#
#   tools/fresh-root-check.sh [--root DIR] [--ref REF] [--only demo|test] [--keep] [--no-cache]
#     --root DIR   where to build the root (default /var/tmp/gk-fresh-root); rebuilt each run
#     --no-cache   download every package again (by default the .debs apt and debootstrap
#                  fetched are kept in DIR-debs and lent to the next run: the root is still
#                  built and set up from nothing, only the downloads are saved)
#     --ref REF    the commit to clone (default HEAD of this repository)
#     --only X     run only one of the two commands
#     --keep       leave the root (and its build) in place afterwards, for a look inside
#   MIRROR=URL     the Debian mirror (default: this machine's apt source, else deb.debian.org)
#
# Needs root, debootstrap and git on this machine; ~1 min for the root, then the first run of
# each command as a newcomer sees it (package installs, a build without ccache). Prints one
# line per stage and the time it took; each command's output is in ROOT/../<name>.log, the end
# of it shown when it fails. Exit status: that of the first command that failed.
#
# A machine whose outgoing TLS is inspected by a proxy trusts that proxy's CA through
# /usr/local/share/ca-certificates; those certificates (only those) are copied into the root
# so that apt and npm see the network as this machine does. They are printed when copied; on
# a machine with direct access there are none and nothing is copied.
set -euo pipefail
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)

root=/var/tmp/gk-fresh-root
ref=HEAD
only=""
keep=0
cache=1
while (($#)); do
  case "$1" in
    --root) root=$2; shift 2 ;;
    --ref) ref=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --no-cache) cache=0; shift ;;
    *) echo "usage: tools/fresh-root-check.sh [--root DIR] [--ref REF] [--only demo|test] [--keep]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "fresh-root-check: run as root (debootstrap, chroot, mounts)" >&2; exit 2; }
for tool in debootstrap git chroot mountpoint; do
  command -v "$tool" >/dev/null || { echo "fresh-root-check: needs $tool (apt-get install debootstrap git)" >&2; exit 2; }
done
commit=$(git -C "$repo" rev-parse --verify "$ref^{commit}")
logs=$(dirname "$root")/$(basename "$root")-logs
mkdir -p "$logs"

if [ -z "${MIRROR:-}" ]; then
  MIRROR=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi

debs=$root-debs
unmount() {
  for m in var/cache/apt/archives dev/pts dev sys proc; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"
  done
  return 0
}
cleanup() {
  unmount
  ((keep)) || rm -rf "$root"
}
trap cleanup EXIT

stage() {  # stage NAME COMMAND...: one line, output to $logs/NAME.log, its end shown on failure
  local name=$1; shift
  local start=$SECONDS
  printf 'fresh-root: %-44s ' "$name ..."
  if "$@" >"$logs/$name.log" 2>&1; then
    echo "ok ($((SECONDS - start)) s)"
  else
    local rc=$?
    echo "FAILED, exit $rc after $((SECONDS - start)) s (log: $logs/$name.log)"
    tail -n 60 "$logs/$name.log" | sed 's/^/  | /'
    return "$rc"
  fi
}

echo "fresh-root: commit $(git -C "$repo" log -1 --format='%h %s' "$commit" | cut -c1-70)"
echo "fresh-root: root $root, mirror $MIRROR, logs $logs$( ((cache)) && echo ", downloads kept in $debs")"
unmount
rm -rf "$root"
cache_args=()
if ((cache)); then
  mkdir -p "$debs"
  cache_args=(--cache-dir="$debs")
fi
stage debootstrap debootstrap "${cache_args[@]}" --variant=minbase --include=git,ca-certificates bookworm "$root" "$MIRROR"
# The same archive suites as this machine (bookworm-updates and -security too), when it has them.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  rm -f "$root/etc/apt/sources.list"
fi
shopt -s nullglob
cas=(/usr/local/share/ca-certificates/*.crt)
if ((${#cas[@]})); then
  echo "fresh-root: copying this machine's extra CA certificates: ${cas[*]##*/}"
  cp "${cas[@]}" "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi
for m in proc sys dev dev/pts; do mount --bind "/$m" "$root/$m"; done
((cache)) && mount --bind "$debs" "$root/var/cache/apt/archives"
stage clone git clone -q --no-local "$repo" "$root/src"
git -C "$root/src" checkout -q "$commit"

in_root() {  # a login shell as root with nothing of this machine's environment
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -lc "cd /src && $1"
}
status=0
for command in demo test; do
  [ -z "$only" ] || [ "$only" = "$command" ] || continue
  stage "$command" in_root "tools/$command.sh" || { status=$?; break; }
done
echo "fresh-root: $( ((status == 0)) && echo "both commands passed" || echo "FAILED") in $((SECONDS / 60)) min $((SECONDS % 60)) s"
exit "$status"
