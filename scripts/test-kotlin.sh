#!/usr/bin/env bash
# Kotlin tests on the JVM, one Maven reactor (android/pom.xml):
#   baladiya-kit  JUnit 5, through JNA, against the host-built library and the reference server;
#   ui            the shared Compose screens rendered headless by Compose Multiplatform desktop
#                 (JUnit 4): screenshot tests against committed goldens, interaction tests.
# Maven fetches its plugins and libraries from Maven Central. The screenshots need Debian's
# fonts-noto-core (installed here when missing; root). Extra arguments go to Maven, e.g.
#   scripts/test-kotlin.sh -pl ui -am -Dtest='ps.gaza.baladiya.ui.**' -Dsurefire.failIfNoSpecifiedTests=false
#   scripts/test-kotlin.sh -Dui.main.dir=/tmp/empty     (the harness without the screens' sources)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v mvn >/dev/null || { echo "Maven (mvn) is required: apt-get install maven" >&2; exit 1; }

# The fonts the screenshots are rendered with (android/ui/src/test/resources/fonts.conf).
if [ ! -f /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] \
  || [ ! -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "fonts-noto-core is required (Debian: apt-get install fonts-noto-core, as root)" >&2
    exit 1
  fi
  echo "==> apt-get install fonts-noto-core"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q fonts-noto-core >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q fonts-noto-core >/dev/null; }
fi

scripts/bindings.sh
cargo build -q -p baladiya-server
echo "==> mvn test (android: baladiya-kit, ui)"
# A hung test must fail the run, not stall CI.
timeout --kill-after=30 1200 mvn -B -ntp -f android/pom.xml test "$@"
