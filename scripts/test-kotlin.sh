#!/usr/bin/env bash
# Kotlin tests (JUnit 5 on the JVM, through JNA) of the Android library module's sources against
# the host-built library and the reference server. Maven fetches its plugins from Maven Central.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v mvn >/dev/null || { echo "Maven (mvn) is required: apt-get install maven" >&2; exit 1; }
scripts/bindings.sh
cargo build -q -p baladiya-server
echo "==> mvn test (android/baladiya-kit)"
# A hung test must fail the run, not stall CI.
timeout --kill-after=30 1200 mvn -B -ntp -f android/baladiya-kit/pom.xml test
