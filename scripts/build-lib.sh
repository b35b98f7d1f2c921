#!/usr/bin/env bash
# Build libbaladiya_ffi the way the apps get it, for each target given, and print its size as
# built, stripped (as an app build strips it) and gzip-compressed (about what it costs in an APK).
#
#   scripts/build-lib.sh x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu
#   scripts/build-lib.sh --check ...        # also fail over the budgets in bindings/size-budgets.txt
#   scripts/build-lib.sh aarch64-linux-android   # with ANDROID_NDK_HOME (ANDROID_API, default 23)
#   scripts/build-lib.sh aarch64-apple-ios       # on a Mac: the static library for the XCFramework
#
# Why a script rather than `cargo build --release`: the crate lists crate-type
# ["cdylib", "staticlib", "lib"] (the Rust benchmarks in tests/ use it as a Rust library), and with
# `lib` in the list cargo silently builds without link-time optimisation (cargo issues 4611, 9672,
# 14612). `cargo rustc --crate-type cdylib` (or staticlib) builds the one kind the app needs, with
# the release profile's full LTO. Always with an explicit --target, so the result lands in
# target/<target>/release/ and never mixes with the host's target/release/.
#
# For Android targets (a ELF with 16 KB pages) and aarch64 Linux, the LOAD segments' alignment is
# checked with readelf. The linker flags themselves are in bindings/build.rs, so a Gradle build
# through cargo-ndk gets them too.
#
# Prints one line per target:  <target> built=<bytes> stripped=<bytes> gzip=<bytes> [budget=...]
# and the library's path. Needs: rustup (to add a missing target), and for aarch64 Linux the gcc
# cross linker (installed with apt-get when missing and running as root).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
die() { echo "build-lib: $*" >&2; exit 1; }

check=0
targets=()
for arg in "$@"; do
  case $arg in
    --check) check=1 ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) targets+=("$arg") ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("$(rustc -vV | sed -n 's/^host: //p')")

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')"
budgets="$root/bindings/size-budgets.txt"
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1000000 }'; }

ensure_target() {
  rustup target list --installed 2>/dev/null | grep -qx "$1" && return
  echo "==> rustup target add $1"
  rustup target add "$1" || die "the Rust standard library for $1 could not be installed"
}

# setup <target>: export what cargo needs to link for it; sets crate_type, lib_file, strip_tool.
setup() {
  local t=$1 upper linker_var
  upper="$(tr 'a-z-' 'A-Z_' <<<"$t")"
  crate_type=cdylib
  lib_file=libbaladiya_ffi.so
  strip_tool=strip
  case $t in
    x86_64-unknown-linux-gnu) ;;
    aarch64-unknown-linux-gnu)
      if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
        [[ $(id -u) == 0 ]] || die "the cross linker aarch64-linux-gnu-gcc is missing: apt-get install gcc-aarch64-linux-gnu"
        echo "==> apt-get install gcc-aarch64-linux-gnu"
        { apt-get install -y -q gcc-aarch64-linux-gnu || { apt-get update -q && apt-get install -y -q gcc-aarch64-linux-gnu; }; } >/dev/null \
          || die "could not install gcc-aarch64-linux-gnu"
      fi
      linker_var="CARGO_TARGET_${upper}_LINKER"
      export "$linker_var=${!linker_var:-aarch64-linux-gnu-gcc}"
      export CC_aarch64_unknown_linux_gnu="${CC_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-gcc}"
      export AR_aarch64_unknown_linux_gnu="${AR_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-ar}"
      strip_tool=aarch64-linux-gnu-strip
      ;;
    *-linux-android*)
      [[ -n ${ANDROID_NDK_HOME:-} ]] || die "$t needs the Android NDK: set ANDROID_NDK_HOME"
      local api="${ANDROID_API:-23}" bin clang_triple
      bin="$(echo "$ANDROID_NDK_HOME"/toolchains/llvm/prebuilt/*/bin)"
      clang_triple="${t/armv7-linux-androideabi/armv7a-linux-androideabi}"
      export "CARGO_TARGET_${upper}_LINKER=$bin/${clang_triple}${api}-clang"
      export "CC_${t//-/_}=$bin/${clang_triple}${api}-clang"
      export "AR_${t//-/_}=$bin/llvm-ar"
      strip_tool="$bin/llvm-strip"
      ;;
    *-apple-*)
      crate_type=staticlib
      lib_file=libbaladiya_ffi.a
      ;;
    *) echo "build-lib: $t is not a target the apps ship; building it anyway" >&2 ;;
  esac
}

# check_alignment <target> <lib>: every LOAD segment aligned to a multiple of 16 KB.
check_alignment() {
  local aligns bad
  aligns="$(readelf -lW "$2" | awk '$1 == "LOAD" { print $NF }')"
  [[ -n $aligns ]] || die "$2: no LOAD segments"
  bad="$(for a in $aligns; do (( a % 16384 == 0 )) || echo "$a"; done)"
  if [[ -n $bad ]]; then
    die "$1: LOAD segments aligned to $(tr '\n' ' ' <<<"$bad")- not 16 KB pages (needed by Android 15+ devices)"
  fi
  echo "    16 KB pages: every LOAD segment aligned to $(sort -u <<<"$aligns" | tr '\n' ' ')"
}

status=0
for t in "${targets[@]}"; do
  ensure_target "$t"
  setup "$t"
  echo "==> cargo rustc --release -p baladiya-ffi --lib --crate-type $crate_type --target $t"
  cargo rustc -q --release -p baladiya-ffi --lib --crate-type "$crate_type" --target "$t"
  lib="$target_dir/$t/release/$lib_file"
  [[ -f $lib ]] || die "no $lib after the build"
  built=$(wc -c <"$lib" | tr -d " ")
  stripped_file="$(mktemp)"
  if [[ $crate_type == staticlib ]]; then
    cp "$lib" "$stripped_file"
    strip -S "$stripped_file" 2>/dev/null || true
  else
    "$strip_tool" --strip-unneeded -o "$stripped_file" "$lib"
  fi
  stripped=$(wc -c <"$stripped_file" | tr -d " ")
  gz=$(gzip -9 -c "$stripped_file" | wc -c | tr -d " ")
  rm -f "$stripped_file"
  line="$t built=$built stripped=$stripped gzip=$gz"
  budget="$(awk -v t="$t" '$1 == t { print $2 }' "$budgets")"
  [[ -n $budget ]] && line+=" budget=$budget"
  echo "SIZE $line"
  printf '    %s: %s as built, %s stripped, %s gzip' "$t" "$(mb "$built")" "$(mb "$stripped")" "$(mb "$gz")"
  [[ -n $budget ]] && printf ' (budget %s stripped)' "$(mb "$budget")"
  echo
  echo "    $lib"
  case $t in
    aarch64-unknown-linux-gnu | *-linux-android*) check_alignment "$t" "$lib" ;;
  esac
  if [[ $crate_type == cdylib ]]; then
    # A shared library may link with undefined symbols, found missing only when called: SQLite
    # built without a feature the Rust side still calls would be one.
    missing="$(nm -D --undefined-only "$lib" 2>/dev/null | awk '$2 ~ /^sqlite3/ { print $2 }' | tr '\n' ' ')"
    [[ -z $missing ]] || die "$t: SQLite functions called but not built (LIBSQLITE3_FLAGS in .cargo/config.toml): $missing"
  fi
  if ((check)) && [[ -n $budget ]] && ((stripped > budget)); then
    echo "build-lib: $t is $(mb "$stripped") stripped, over its budget of $(mb "$budget") (bindings/size-budgets.txt)" >&2
    status=1
  fi
done
exit $status
