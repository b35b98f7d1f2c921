#!/usr/bin/env bash
# Rewrite the golden screenshots of the shared Compose screens
# (android/ui/src/test/resources/golden/**.png) from the current code: runs the ui module's tests
# with -Dbaladiya.golden.update=true, which writes missing goldens and overwrites those that no
# longer match (within the tolerance; matching ones stay untouched). Look at the changed PNGs
# before committing them.
#   scripts/update-goldens.sh                      every ui test
#   scripts/update-goldens.sh 'GuideScreenshotTest'  one class (a Surefire -Dtest pattern)
#   scripts/update-goldens.sh -Dui.main.dir=/tmp/empty   (extra arguments go to Maven)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
pattern='ps.gaza.baladiya.ui.**'
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  pattern="$1"
  shift
fi
scripts/test-kotlin.sh -pl ui -am -Dbaladiya.golden.update=true \
  -Dtest="$pattern" -Dsurefire.failIfNoSpecifiedTests=false "$@"
echo "==> goldens changed or new:"
git status --short -- android/ui/src/test/resources/golden
