#!/usr/bin/env bash
# Build the core library and generate the Kotlin and Swift bindings from that very build
# (uniffi library mode). Nothing generated is committed, so checksums can never drift.
#   scripts/bindings.sh            # debug build (tests)
#   PROFILE=release scripts/bindings.sh
#   BALADIYA_LIB=target/x86_64-unknown-linux-gnu/release/libbaladiya_ffi.so scripts/bindings.sh
#                                  # from a library already built (scripts/build-lib.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
profile="${PROFILE:-debug}"
flag=()
[ "$profile" = release ] && flag=(--release)
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')"

if [ -n "${BALADIYA_LIB:-}" ]; then
  echo "==> building uniffi-bindgen (library: $BALADIYA_LIB)"
  lib="$BALADIYA_LIB"
else
  echo "==> building libbaladiya_ffi ($profile) and uniffi-bindgen"
  cargo build -q "${flag[@]}" -p baladiya-ffi --lib
  lib="$target_dir/$profile/libbaladiya_ffi.so"
fi
cargo build -q -p baladiya-ffi --features bindgen-cli --bin uniffi-bindgen
bindgen="$target_dir/debug/uniffi-bindgen"

kotlin_out="$root/android/baladiya-kit/build/generated/uniffi/kotlin"
echo "==> Kotlin bindings -> ${kotlin_out#"$root"/}"
rm -rf "$kotlin_out" && mkdir -p "$kotlin_out"
"$bindgen" generate --library "$lib" --language kotlin --no-format --out-dir "$kotlin_out" >/dev/null

swift_pkg="$root/ios/BaladiyaKit"
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
echo "==> Swift bindings -> ${swift_pkg#"$root"/}/Sources/{BaladiyaBindings,baladiya_ffiFFI}"
"$bindgen" generate --library "$lib" --language swift --no-format --out-dir "$gen" >/dev/null
mkdir -p "$swift_pkg/Sources/BaladiyaBindings" "$swift_pkg/Sources/baladiya_ffiFFI"
cp "$gen/baladiya_ffi.swift" "$swift_pkg/Sources/BaladiyaBindings/baladiya_ffi.swift"
cp "$gen/baladiya_ffiFFI.h" "$swift_pkg/Sources/baladiya_ffiFFI/baladiya_ffiFFI.h"
# The generated module map is written for Apple frameworks; a SwiftPM system library needs it as
# module.modulemap with a link line.
cat > "$swift_pkg/Sources/baladiya_ffiFFI/module.modulemap" <<MAP
module baladiya_ffiFFI {
    header "baladiya_ffiFFI.h"
    link "baladiya_ffi"
    export *
}
MAP
echo "==> bindings generated from $lib"
