#!/usr/bin/env bash
# swift-env.sh — a Debian trixie chroot with Swift 6.0.3 (Debian's `swiftlang`)
# for running `swift test` (XCTest) on this Debian 12 host, which has no Swift.
#
# Usage (as root):
#   scripts/swift-env.sh ensure
#       Create the root if needed, reuse it when `swift --version` works in it.
#   scripts/swift-env.sh run <host-dir> <command...>
#       ensure, bind-mount <host-dir> at the same absolute path inside the root,
#       mount proc/sys/dev, run <command...> there with cwd = <host-dir>, return
#       its exit code, unmount everything (also on error / Ctrl-C).
#
# Environment:
#   BALADIYA_SWIFT_ROOT    where the root lives (default /var/cache/baladiya/swift-trixie)
#   BALADIYA_SWIFT_MIRROR  Debian mirror URL (default: the first Debian mirror of the host's
#                          own apt sources; without one, set this or the script stops)
#   BALADIYA_SWIFT_NO_UNSHARE=1  mount in the host's mount namespace instead of
#                          a private one (the EXIT trap still unmounts)
#   BALADIYA_SWIFT_HOME    HOME inside the chroot (default /root, which lives in
#                          the cached root and so persists between runs)
#   Inside the chroot the command sees only: PATH, HOME, LANG=C.UTF-8, TERM,
#   LD_LIBRARY_PATH (if set on the host) and every BALADIYA_* variable.
#
# How Baladiya uses it (scripts/test-swift.sh): the Rust cdylib is built on the host, the
# checkout is bind-mounted at its own path, and the package is tested inside:
#   LD_LIBRARY_PATH=$PWD/target/debug \
#     scripts/swift-env.sh run "$PWD" bash -c \
#       "cd ios/BaladiyaKit && swift test --disable-swift-testing -Xlinker -L$PWD/target/debug"
#   -Xlinker -L<dir>  lets ld find the library named by `link` in the package's modulemap;
#   LD_LIBRARY_PATH   lets the xctest runner load it. Both paths are the same inside and
#                     outside, since the directory is mounted at its own absolute path.
# Creating the root takes one to two minutes (debootstrap, then apt); later runs reuse it.
#
# Notes / pitfalls:
#   * `libc6-dev` must be installed next to `swiftlang`, otherwise swiftc
#     fails with "sys/param.h not found".
#   * The swift build dir (.build) is inside the package dir, i.e. inside the
#     bind mount, so builds stay incremental across runs and across re-creation
#     of the root.
#   * The chroot shares the host's network namespace: a test server the host
#     started on 127.0.0.1:<port> is reachable from inside.
#   * Each `run` does its mounts in a private mount namespace (unshare -m) when
#     possible, so even a SIGKILL leaves nothing mounted on the host; the EXIT
#     trap still unmounts everything in reverse order.
#   * The root is never deleted while anything is mounted under it, and is
#     removed with `rm --one-file-system` as a second guard.
#   * Files created inside the bind mount are owned by root (like the caller).
#   * `/usr/bin/swift` in the root is an absolute symlink (alternatives), so
#     test it from the host with -L, not -x.
#   * Exit code of `run` is the command's; 130/143 after Ctrl-C / SIGTERM,
#     which are forwarded to the command before unmounting.
#   * Setup output (debootstrap, apt) goes to $BALADIYA_SWIFT_ROOT.setup.log;
#     the root takes ~2.6 GB.

set -euo pipefail

SELF="$(readlink -f "${BASH_SOURCE[0]}")"
SUITE=trixie
# ca-certificates: the core's TLS stack loads the system's root certificates when it builds its
# HTTP client, even for plain-http loopback tests.
PKGS=(swiftlang libc6-dev ca-certificates)
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf '[swift-env] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ROOT_RAW="${BALADIYA_SWIFT_ROOT:-/var/cache/baladiya/swift-trixie}"
[[ $ROOT_RAW == /* ]] || die "BALADIYA_SWIFT_ROOT must be an absolute path (got '$ROOT_RAW')"
ROOT="$(realpath -m -- "$ROOT_RAW")"
# Refuse roots like /, /var, /usr: we may rm -rf this directory.
[[ $ROOT == /?*/?* ]] || die "refusing suspicious BALADIYA_SWIFT_ROOT '$ROOT'"
MARKER="$ROOT/.baladiya-swift-ready"
LOCK="$ROOT.lock"
SETUP_LOG="$ROOT.setup.log"

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, mount and chroot need it)"; }

now() { date +%s; }

# ---------------------------------------------------------------- mounts ----

# Mount points strictly below $1 in this mount namespace, deepest first.
mounts_under() {
  awk -v r="$1" '{
      mp = $5
      gsub(/\\040/, " ", mp); gsub(/\\011/, "\t", mp)
      gsub(/\\012/, "\n", mp); gsub(/\\134/, "\\", mp)
      if (index(mp, r "/") == 1) print length(mp) "\t" mp
    }' /proc/self/mountinfo | sort -rn | cut -f2-
}

# Unmount everything below $1 (used before deleting a half-made root).
unmount_all_under() {
  local dir=$1 mp i
  for i in 1 2 3 4 5; do
    mapfile -t mps < <(mounts_under "$dir")
    ((${#mps[@]})) || return 0
    for mp in "${mps[@]}"; do
      log "unmounting stale mount $mp"
      umount -- "$mp" 2>/dev/null || umount -l -- "$mp" 2>/dev/null || true
    done
  done
  [[ -z $(mounts_under "$dir") ]]
}

MOUNTED=()  # mount points this process mounted, in mount order

do_mount() {  # do_mount <target> <mount args...>
  local target=$1; shift
  mount "$@" -- "$target"
  MOUNTED+=("$target")
}

unmount_ours() {
  local i mp
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    mp=${MOUNTED[i]}
    umount -- "$mp" 2>/dev/null || umount -l -- "$mp" 2>/dev/null \
      || log "warning: could not unmount $mp"
  done
  MOUNTED=()
}

# Mount proc/sys/dev (+ optional host dir) into the root. Caller must have
# installed `trap unmount_ours EXIT` first.
mount_chroot_fs() {  # mount_chroot_fs [host-dir]
  do_mount "$ROOT/proc" -t proc -o nosuid,nodev,noexec proc
  do_mount "$ROOT/sys" -t sysfs -o nosuid,nodev,noexec,ro sysfs
  do_mount "$ROOT/dev" --bind /dev
  mkdir -p "$ROOT/dev/pts" "$ROOT/dev/shm" 2>/dev/null || true
  do_mount "$ROOT/dev/pts" -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts
  do_mount "$ROOT/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev shm
  if [[ -n ${1:-} ]]; then
    local host_dir=$1 target="$ROOT$1"
    mkdir -p -- "$target"
    # A symlink inside the root must not redirect the bind mount elsewhere.
    [[ $(realpath -- "$target") == "$target" ]] \
      || die "$target resolves through a symlink inside the root; pick another dir"
    do_mount "$target" --bind "$host_dir"
  fi
}

# Environment for the chrooted command.
chroot_env() {
  local name
  CHROOT_ENV=(
    "PATH=$CHROOT_PATH"
    "HOME=${BALADIYA_SWIFT_HOME:-/root}"
    "LANG=C.UTF-8"
    "TERM=${TERM:-dumb}"
  )
  if [[ -n ${LD_LIBRARY_PATH+x} ]]; then CHROOT_ENV+=("LD_LIBRARY_PATH=$LD_LIBRARY_PATH"); fi
  for name in $(compgen -e); do
    [[ $name == BALADIYA_* ]] && CHROOT_ENV+=("$name=${!name}")
  done
  return 0
}

# Internal: runs inside a private mount namespace (or the host one as a
# fallback). Mounts, chroots, runs the command, unmounts, exits with its code.
# The command runs in the background so that a SIGTERM/SIGINT/SIGHUP sent to
# this script is forwarded to it at once and the unmounting still happens.
CHILD=""
on_signal() {  # on_signal <SIG> <exit code>
  trap '' INT TERM HUP
  if [[ -n $CHILD ]]; then
    kill -s "$1" "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  exit "$2"
}

inner_exec() {  # inner_exec <host-dir|-> <cwd> <command...>
  local host_dir=$1 cwd=$2 rc=0 t0
  shift 2
  trap unmount_ours EXIT
  trap 'on_signal INT 130' INT
  trap 'on_signal TERM 143' TERM
  trap 'on_signal HUP 129' HUP
  [[ $host_dir == - ]] && host_dir=""
  mount_chroot_fs "$host_dir"
  chroot_env
  t0=$(now)
  # Background jobs get /dev/null as stdin unless redirected explicitly.
  exec 8<&0
  chroot "$ROOT" /usr/bin/env -i -C "$cwd" "${CHROOT_ENV[@]}" "$@" <&8 8<&- 9>&- &
  CHILD=$!
  exec 8<&-
  wait "$CHILD" || rc=$?
  CHILD=""
  [[ -n $host_dir ]] && log "command exited with $rc after $(( $(now) - t0 )) s"
  exit "$rc"
}

HAVE_UNSHARE=""
have_unshare() {
  if [[ -z $HAVE_UNSHARE ]]; then
    if [[ -z ${BALADIYA_SWIFT_NO_UNSHARE:-} ]] && command -v unshare >/dev/null 2>&1 && unshare -m --propagation private true 2>/dev/null; then
      HAVE_UNSHARE=yes
    else
      HAVE_UNSHARE=no
    fi
  fi
  [[ $HAVE_UNSHARE == yes ]]
}

# chroot_exec <host-dir|-> <cwd> <command...>: returns the command's exit code.
chroot_exec() {
  local rc=0
  if have_unshare; then
    unshare -m --propagation private -- bash "$SELF" __inner "$@" || rc=$?
  else
    bash "$SELF" __inner "$@" || rc=$?
  fi
  return "$rc"
}

# ------------------------------------------------------------- the root ----

detect_mirror() {
  if [[ -n ${BALADIYA_SWIFT_MIRROR:-} ]]; then echo "$BALADIYA_SWIFT_MIRROR"; return; fi
  local f uri
  shopt -s nullglob
  # deb822 *.sources: first deb URI ending in /debian whose suites are not -security.
  for f in /etc/apt/sources.list.d/*.sources; do
    uri=$(awk '
      function flush() {
        if (found) return
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && suites !~ /security/ && enabled !~ /^[ \t]*no/)
          { n = split(uris, u, /[ \t]+/)
            for (i = 1; i <= n; i++) if (u[i] ~ /^https?:\/\/.*\/debian\/?$/) { print u[i]; found = 1; exit } }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:"   { sub(/^[^:]*:/, ""); types = $0 }
      tolower($1) == "uris:"    { sub(/^[^:]*:/, ""); uris = $0 }
      tolower($1) == "suites:"  { sub(/^[^:]*:/, ""); suites = $0 }
      tolower($1) == "enabled:" { sub(/^[^:]*:/, ""); enabled = $0 }
      END { flush() }' "$f")
    if [[ -n $uri ]]; then echo "${uri%/}"; return; fi
  done
  # one-line format: deb [opts] URI suite components...
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" \
      | awk '$1 == "deb" && $2 ~ /^https?:\/\/.*\/debian\/?$/ && $3 !~ /security/ { print $2; exit }')
    if [[ -n $uri ]]; then echo "${uri%/}"; return; fi
  done
  shopt -u nullglob
  # No mirror is named here: the machine's own configuration says where Debian comes from.
  die "no Debian mirror in the host's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d); set BALADIYA_SWIFT_MIRROR"
}

host_apt_install() {  # host_apt_install <cmd> <package>
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2 on the host (apt-get)"
  step "apt-get update (host)" apt-get update -qq
  step "apt-get install $2 (host)" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$2"
}

remove_root() {
  [[ -e $ROOT ]] || return 0
  log "removing incomplete root $ROOT"
  unmount_all_under "$ROOT" || die "something is still mounted under $ROOT; not deleting it"
  rm -rf --one-file-system -- "$ROOT"
  [[ ! -e $ROOT ]] || die "could not remove $ROOT completely"
}

SWIFT_VERSION=""
swift_works() {
  # /usr/bin/swift is an absolute symlink (alternatives): test the link itself.
  [[ -L $ROOT/usr/bin/swift || -e $ROOT/usr/bin/swift ]] || return 1
  SWIFT_VERSION=$(chroot_exec - / swift --version 2>&1) || return 1
  [[ $SWIFT_VERSION == *"Swift version"* ]]
}

# step <description> <command...>: run with output to $SETUP_LOG; on failure
# show the log's tail and stop.
step() {
  local what=$1 rc=0
  shift
  "$@" >>"$SETUP_LOG" 2>&1 || rc=$?
  if ((rc != 0)); then
    log "$what failed (exit $rc); last lines of $SETUP_LOG:"
    tail -n 40 "$SETUP_LOG" >&2 || true
    die "$what failed"
  fi
}

build_root() {
  local t0 t mirror
  t0=$(now)
  : >"$SETUP_LOG"
  remove_root
  host_apt_install debootstrap debootstrap
  mirror=$(detect_mirror)
  log "debootstrap --variant=minbase $SUITE $ROOT $mirror (about 30 s; details in $SETUP_LOG)"
  t=$(now)
  mkdir -p -- "$ROOT"
  if have_unshare; then
    step debootstrap unshare -m --propagation private -- \
      debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror"
  else
    step debootstrap debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror"
  fi
  log "debootstrap done in $(( $(now) - t )) s"
  # debootstrap copies these too, but make sure name resolution works for apt.
  [[ -L $ROOT/etc/resolv.conf ]] || cp -f /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
  [[ -s $ROOT/etc/hosts ]] || cp -f /etc/hosts "$ROOT/etc/hosts" 2>/dev/null || true

  install_packages
  swift_works || die "swift --version does not work inside the new root: $SWIFT_VERSION"
  printf 'created=%s\nmirror=%s\nsuite=%s\npkgs=%s\n%s\n' "$(date -u +%FT%TZ)" "$mirror" "$SUITE" "${PKGS[*]}" "$SWIFT_VERSION" >"$MARKER"
  log "root ready in $(( $(now) - t0 )) s: $(head -n1 <<<"$SWIFT_VERSION")"
}

install_packages() {
  log "apt-get install ${PKGS[*]} inside the root (about 40 s)"
  local t
  t=$(now)
  step "apt-get install in the root" chroot_exec - / /bin/sh -c '
      set -e
      export DEBIAN_FRONTEND=noninteractive
      apt-get -o Acquire::Retries=3 update
      apt-get -o Acquire::Retries=3 install -y --no-install-recommends "$@"
      apt-get clean
    ' sh "${PKGS[@]}"
  log "packages installed in $(( $(now) - t )) s"
}

# The root was made with the package list we want now.
packages_current() { grep -qxF "pkgs=${PKGS[*]}" "$MARKER" 2>/dev/null; }

# Leaves fd 9 holding a shared lock on $LOCK (so no one rebuilds the root
# under a running command).
ensure() {
  need_root
  mkdir -p -- "$(dirname -- "$ROOT")"
  exec 9>>"$LOCK"
  flock -s 9
  if [[ -f $MARKER ]] && packages_current && swift_works; then
    log "reusing $ROOT: $(head -n1 <<<"$SWIFT_VERSION")"
    return 0
  fi
  flock -n -x 9 || { log "waiting for other users of $ROOT (lock $LOCK)"; flock -x 9; }
  if [[ -f $MARKER ]] && swift_works; then
    if ! packages_current; then
      log "topping up the packages of $ROOT"
      install_packages
      sed -i '/^pkgs=/d' "$MARKER"
      printf 'pkgs=%s\n' "${PKGS[*]}" >>"$MARKER"
    fi
    flock -s 9
    log "reusing $ROOT: $(head -n1 <<<"$SWIFT_VERSION")"
    return 0
  fi
  if [[ -f $MARKER ]]; then
    log "marker present but swift --version fails in $ROOT; re-creating it"
    rm -f -- "$MARKER"
  elif [[ -e $ROOT ]]; then
    log "$ROOT has no ready marker (half-made); re-creating it"
  else
    log "$ROOT does not exist; creating it"
  fi
  build_root
  flock -s 9
}

run() {
  (($# >= 2)) || die "usage: $0 run <host-dir> <command...>"
  local host_dir
  [[ -d $1 ]] || die "not a directory: $1"
  host_dir=$(realpath -- "$1"); shift
  [[ $host_dir != / ]] || die "refusing to bind-mount / into the root"
  case "$host_dir/" in "$ROOT"/*) die "host dir $host_dir is inside the root" ;; esac
  case "$ROOT/" in "$host_dir"/*) die "the root $ROOT is inside host dir $host_dir" ;; esac
  ensure
  log "running in $ROOT at $host_dir: $*"
  # exec: this process becomes the one that mounts, so signals reach it.
  if have_unshare; then
    exec unshare -m --propagation private -- bash "$SELF" __inner "$host_dir" "$host_dir" "$@"
  else
    exec bash "$SELF" __inner "$host_dir" "$host_dir" "$@"
  fi
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case "$cmd" in
    ensure) ensure ;;
    run) run "$@" ;;
    __inner) need_root; inner_exec "$@" ;;
    -h|--help|help) sed -n '2,/^# Verified invocation/{/^# Verified/!p}' "$SELF" | sed 's/^# \{0,1\}//' ;;
    *) sed -n '2,/^# Verified invocation/{/^# Verified/!p}' "$SELF" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
