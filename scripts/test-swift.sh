#!/usr/bin/env bash
# Swift tests (XCTest) of BaladiyaKit against the host-built library and the reference server,
# in a Debian trixie root with Swift 6.0.3 (Debian 12 has no Swift): see scripts/swift-env.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/bindings.sh
cargo build -q -p baladiya-server
lib_dir="$root/target/debug"
export LD_LIBRARY_PATH="$lib_dir"
export BALADIYA_SERVER_BIN="$lib_dir/baladiya-server"
echo "==> swift test (BaladiyaKit)"
# A hung test must fail the run, not stall CI: the whole Swift step gets 20 minutes.
timeout --kill-after=30 1200 scripts/swift-env.sh run "$root" bash -c \
  "cd ios/BaladiyaKit && swift test --disable-swift-testing -Xlinker -L$lib_dir 2>&1"
