#!/usr/bin/env bash
# Every test: Rust (unit and end-to-end against the real server on loopback), then Kotlin on a
# real JVM, then Swift on a real Swift toolchain, then the shipped library's size against its
# budgets (bindings/size-budgets.txt). Each runner prints its own summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }

# The staff console's browser walk (tests/tests/staff_console_browser.rs) drives Debian's chromium
# through chromedriver and checks each page with axe-core: installed here when missing (root), and
# then required (the test fails instead of skipping).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "chromium and chromium-driver are required (Debian: apt-get install chromium chromium-driver, as root)" >&2
    exit 1
  fi
  echo "==> apt-get install chromium chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium chromium-driver >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null; }
fi
# axe-core (npm, pinned) for the browser test's accessibility checks, under target/axe.
axe_version=4.14.1
axe_dir="$root/target/axe"
if ! grep -qs "\"version\": \"$axe_version\"" "$axe_dir/node_modules/axe-core/package.json"; then
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
      echo "npm is required for axe-core (Debian: apt-get install npm, as root)" >&2
      exit 1
    fi
    echo "==> apt-get install npm"
    apt-get install -y -q npm >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q npm >/dev/null; }
  fi
  echo "==> npm install axe-core@$axe_version"
  mkdir -p "$axe_dir"
  npm install --prefix "$axe_dir" --no-audit --no-fund --silent "axe-core@$axe_version"
fi
export BALADIYA_AXE="$axe_dir/node_modules/axe-core/axe.min.js"
export BALADIYA_REQUIRE_BROWSER=1

# CI builds once: incremental compilation's caches would only cost disk (several GB).
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi

echo "==> cargo test --workspace"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"
# The server on PostgreSQL (issue 14): a throwaway cluster from Debian's postgresql (installed
# when missing), in a temporary directory, on loopback, removed afterwards. The server's whole
# suite and the end-to-end server tests again, each server on a database of its own there.
echo "==> the server on PostgreSQL (scripts/with-postgres.sh)"
# One cargo invocation over the whole workspace, as above, so that cargo unifies features the same
# way and reuses the build: `-p baladiya-server` alone would compile the server and its
# dependencies a second (and the tests crate a third) time, gigabytes more on disk. `--lib` runs
# every crate's unit tests (the server's are the ones that matter here; the rest take 30–90 s).
server_tests=$(for t in server/tests/*.rs; do printf -- '--test %s ' "$(basename "$t" .rs)"; done)
scripts/with-postgres.sh env BALADIYA_REQUIRE_POSTGRES=1 \
  cargo test --workspace --lib $server_tests --test open311_server --test open311_conformance \
    --test bills_server --test news_server --test uploads_server --test server_limits \
    --test complaints --test complaints_faults --test outbox_round_robin --test bills_news_sync \
    --test nearby_follow \
    --test staff_console_browser \
    2>&1 | tee -a "$log"
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo "rust: $passed passed, $failed failed"

scripts/test-kotlin.sh
scripts/test-swift.sh

# The library as the apps get it (full LTO), for x86_64 and aarch64 Linux (the cross linker is
# installed if missing); fails over a budget or without 16 KB pages on aarch64. About 11 minutes
# the first time on 2 cores, a few seconds when nothing changed, ~3 minutes after a core change.
echo "==> library size: scripts/build-lib.sh --check x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu"
scripts/build-lib.sh --check x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu

# What the stores check on upload, without Xcode or the Android SDK: the iOS privacy manifest
# against the required-reason APIs the library just built calls (the Linux build as the proxy),
# the app icons, Info.plist's export-compliance key, the Gradle wrapper's checksums. A second.
echo "==> app manifests: scripts/check-app-manifests.sh"
scripts/check-app-manifests.sh
