#!/usr/bin/env bash
# Build BaladiyaFFI.xcframework for the Swift package on Apple platforms. Run on a Mac with Xcode
# and the Rust targets installed:
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin
# Not runnable on the Linux CI machine (no Xcode); the Linux build of the package links the
# host-built .so instead (see Package.swift).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ "$(uname)" = Darwin ] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
# The static library as shipped: with full LTO (a plain `cargo build` of this crate gets none,
# see scripts/build-lib.sh).
scripts/build-lib.sh "${targets[@]}"

out="$root/target/xcframework"
rm -rf "$out" && mkdir -p "$out/headers" "$out/ios-sim" "$out/macos"
cargo build -q -p baladiya-ffi --features bindgen-cli --bin uniffi-bindgen
target/debug/uniffi-bindgen generate --library "target/aarch64-apple-ios/release/libbaladiya_ffi.a" \
  --language swift --no-format --out-dir "$out/gen"
# A header, a module map and a Swift file per crate that exports types (baladiya_ffi, baladiya_core,
# baladiya_wire): the headers and one module.modulemap holding every module go into the framework.
cp "$out"/gen/*FFI.h "$out/headers/"
cat "$out"/gen/*FFI.modulemap > "$out/headers/module.modulemap"
mkdir -p ios/BaladiyaKit/Sources/BaladiyaBindings
rm -f ios/BaladiyaKit/Sources/BaladiyaBindings/baladiya_*.swift
cp "$out"/gen/*.swift ios/BaladiyaKit/Sources/BaladiyaBindings/

# One fat static library per platform family (simulator and macOS have two architectures each).
lipo -create target/aarch64-apple-ios-sim/release/libbaladiya_ffi.a target/x86_64-apple-ios/release/libbaladiya_ffi.a \
  -output "$out/ios-sim/libbaladiya_ffi.a"
lipo -create target/aarch64-apple-darwin/release/libbaladiya_ffi.a target/x86_64-apple-darwin/release/libbaladiya_ffi.a \
  -output "$out/macos/libbaladiya_ffi.a"

rm -rf ios/BaladiyaKit/BaladiyaFFI.xcframework
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libbaladiya_ffi.a -headers "$out/headers" \
  -library "$out/ios-sim/libbaladiya_ffi.a" -headers "$out/headers" \
  -library "$out/macos/libbaladiya_ffi.a" -headers "$out/headers" \
  -output ios/BaladiyaKit/BaladiyaFFI.xcframework
ls -la target/aarch64-apple-ios/release/libbaladiya_ffi.a
echo "==> ios/BaladiyaKit/BaladiyaFFI.xcframework"
