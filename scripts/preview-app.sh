#!/usr/bin/env bash
# Open the app's shared Compose screens in a desktop window (Compose Multiplatform on the JVM)
# against the demo reference server, which this script starts on a free loopback port with a
# temporary data directory and stops on exit.
#   scripts/preview-app.sh                         a window on your desktop ($DISPLAY)
#   scripts/preview-app.sh --lang en               in English (default Arabic)
#   scripts/preview-app.sh --size 840x1200         window size in dp (default 400x820)
#   scripts/preview-app.sh --screenshot out.png    under Xvfb: a picture of the window after a few
#                                                  seconds (--delay MS, default 6000), then exit
#   scripts/preview-app.sh --server http://127.0.0.1:8080/   use a server already running
# Builds what it needs: the Rust library and bindings, the server, and the Maven reactor
# (android/pom.xml, main sources only).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

screenshot="" lang="ar" size="400x820" delay=6000 server_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --screenshot) screenshot="$2"; shift 2 ;;
    --lang) lang="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --delay) delay="$2"; shift 2 ;;
    --server) server_url="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$lang" in ar|en) ;; *) echo "--lang is ar or en" >&2; exit 2 ;; esac
[ -z "$screenshot" ] || screenshot="$(realpath -m "$screenshot")"
command -v mvn >/dev/null || { echo "Maven (mvn) is required: apt-get install maven" >&2; exit 1; }

apt_install() { # package...
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing: $* (Debian: apt-get install $*, as root)" >&2
    exit 1
  fi
  echo "==> apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "$@" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}
[ -f /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || apt_install fonts-noto-core
if [ -n "$screenshot" ] && ! command -v xvfb-run >/dev/null; then apt_install xvfb xauth; fi

scripts/bindings.sh
cargo build -q -p baladiya-server
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')"

echo "==> mvn (android: baladiya-kit, ui) compile"
classpath_file="$root/android/ui/target/preview-classpath.txt"
# test-compile with the tests skipped: the reactor then resolves the kit's test fixtures (a test
# dependency of ui) to its target/ without compiling any test.
mvn -B -ntp -q -f android/pom.xml -pl ui -am -Dmaven.test.skip=true test-compile dependency:build-classpath \
  -Dmdep.includeScope=runtime -Dmdep.outputFile=target/preview-classpath.txt
classpath="$root/android/ui/target/classes:$root/android/baladiya-kit/target/classes:$(cat "$classpath_file")"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$server_url" ]; then
  echo "==> demo server"
  BALADIYA_STAFF_TOKEN="${BALADIYA_STAFF_TOKEN:-preview-staff-token}" RUST_LOG="${RUST_LOG:-warn}" \
    "$target_dir/debug/baladiya-server" --demo --listen 127.0.0.1:0 --data-dir "$work/server" \
    >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 1 100); do
    server_url="$(sed -n 's/^listening on //p' "$work/server.out" | head -n 1)"
    [ -n "$server_url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; echo "the server exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$server_url" ] || { echo "the server did not start listening" >&2; exit 1; }
  echo "    $server_url (staff token: ${BALADIYA_STAFF_TOKEN:-preview-staff-token})"
fi

export BALADIYA_SERVER_URL="$server_url" BALADIYA_LOCALE="$lang" BALADIYA_WINDOW_SIZE="$size"
export FONTCONFIG_FILE="$root/android/ui/src/test/resources/fonts.conf"
java_cmd=(java -Djna.library.path="$target_dir/debug" -cp "$classpath" ps.gaza.baladiya.ui.desktop.MainKt)

if [ -n "$screenshot" ]; then
  echo "==> window under Xvfb, screenshot in ${delay} ms -> $screenshot"
  export BALADIYA_SCREENSHOT="$screenshot" BALADIYA_SCREENSHOT_DELAY_MS="$delay"
  rm -f "$screenshot"
  # Software rendering: Xvfb has no GPU.
  timeout --kill-after=10 180 xvfb-run -a -s "-screen 0 1600x1300x24" \
    "${java_cmd[0]}" -Dskiko.renderApi=SOFTWARE "${java_cmd[@]:1}"
  [ -s "$screenshot" ] || { echo "no screenshot written" >&2; exit 1; }
else
  echo "==> window (close it to stop)"
  "${java_cmd[@]}"
fi
