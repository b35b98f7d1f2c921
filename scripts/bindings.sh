#!/usr/bin/env bash
# Build the core library for the host and generate the Kotlin and Swift bindings from that very
# build (uniffi library mode). Nothing generated is committed, so checksums can never drift.
# Works on Linux (libbaladiya_ffi.so) and macOS (libbaladiya_ffi.dylib); the Android build calls it
# (:baladiya-kit's generateUniffiBindings task) with --only kotlin before compiling the kit.
#   scripts/bindings.sh            # debug build (tests)
#   PROFILE=release scripts/bindings.sh
#   BALADIYA_LIB=target/x86_64-unknown-linux-gnu/release/libbaladiya_ffi.so scripts/bindings.sh
#                                  # from a library already built (scripts/build-lib.sh)
#   scripts/bindings.sh --only kotlin [--kotlin-out DIR]
#                                  # one language; Kotlin into DIR (default
#                                  # android/baladiya-kit/build/generated/uniffi/kotlin, which the
#                                  # Maven and Gradle builds of the kit compile)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
only=""
kotlin_out="$root/android/baladiya-kit/build/generated/uniffi/kotlin"
while [ $# -gt 0 ]; do
  case $1 in
    --only) only="${2:?--only kotlin|swift}"; shift 2 ;;
    --kotlin-out) kotlin_out="${2:?--kotlin-out DIR}"; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bindings.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $only in "" | kotlin | swift) ;; *) echo "bindings.sh: --only kotlin or swift" >&2; exit 2 ;; esac
case $kotlin_out in /*) ;; *) kotlin_out="$PWD/$kotlin_out" ;; esac
cd "$root"
# The host's name for a shared library (uniffi reads the metadata from the host build).
case "$(uname -s)" in
  Darwin) host_lib=libbaladiya_ffi.dylib ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT) host_lib=baladiya_ffi.dll ;;
  *) host_lib=libbaladiya_ffi.so ;;
esac
profile="${PROFILE:-debug}"
flag=()
[ "$profile" = release ] && flag=(--release)
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')"

if [ -n "${BALADIYA_LIB:-}" ]; then
  echo "==> building uniffi-bindgen (library: $BALADIYA_LIB)"
  lib="$BALADIYA_LIB"
else
  echo "==> building libbaladiya_ffi ($profile) and uniffi-bindgen"
  # (the ${...+...} form: macOS's bash 3.2 calls an empty array unbound under set -u)
  cargo build -q ${flag[@]+"${flag[@]}"} -p baladiya-ffi --lib
  lib="$target_dir/$profile/$host_lib"
fi
cargo build -q -p baladiya-ffi --features bindgen-cli --bin uniffi-bindgen
bindgen="$target_dir/debug/uniffi-bindgen"

if [ "$only" != swift ]; then
  echo "==> Kotlin bindings -> ${kotlin_out#"$root"/}"
  rm -rf "$kotlin_out" && mkdir -p "$kotlin_out"
  "$bindgen" generate --library "$lib" --language kotlin --no-format --out-dir "$kotlin_out" >/dev/null
fi
if [ "$only" = kotlin ]; then
  echo "==> bindings generated from $lib"
  exit 0
fi

swift_pkg="$root/ios/BaladiyaKit"
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
echo "==> Swift bindings -> ${swift_pkg#"$root"/}/Sources/{BaladiyaBindings,baladiya_ffiFFI}"
"$bindgen" generate --library "$lib" --language swift --no-format --out-dir "$gen" >/dev/null
# One Swift file and one header per crate that exports types (baladiya_ffi, and baladiya_core and
# baladiya_wire, whose types derive uniffi's traits themselves): the Swift files all go into the
# one BaladiyaBindings module, the headers into the one system library.
rm -rf "$swift_pkg/Sources/baladiya_ffiFFI"
rm -f "$swift_pkg"/Sources/BaladiyaBindings/baladiya_*.swift
mkdir -p "$swift_pkg/Sources/BaladiyaBindings" "$swift_pkg/Sources/baladiya_ffiFFI"
cp "$gen"/*.swift "$swift_pkg/Sources/BaladiyaBindings/"
cp "$gen"/*FFI.h "$swift_pkg/Sources/baladiya_ffiFFI/"
# The generated module maps are written for Apple frameworks; a SwiftPM system library needs one
# module.modulemap, here with a module per header (each generated Swift file imports its own) and
# the link line on the library's.
{
  for h in "$gen"/*FFI.h; do
    m="$(basename "$h" .h)"
    echo "module $m {"
    echo "    header \"$m.h\""
    [ "$m" = baladiya_ffiFFI ] && echo '    link "baladiya_ffi"'
    echo "    export *"
    echo "}"
  done
} > "$swift_pkg/Sources/baladiya_ffiFFI/module.modulemap"
echo "==> bindings generated from $lib"
