#!/usr/bin/env bash
# The bindings benchmark (not a test; CI does not run it). A typical guide search, a page of 20
# with the queries "رخصة", "مياه", "permit", "رخصه بناء" round-robin, on the sample catalogue after a
# guide sync against the reference server (--demo), timed around one call:
#   * from Kotlin on the JVM (JUnit class SearchBench, JIT warmed): the generated binding's
#     `searchGuide` (one record per hit), the compact page the facade uses (`searchGuidePage` +
#     decoding it into the same `GuideHit`s), and the facade's suspend function;
#   * from Swift (executable BaladiyaBench, `swift build -c release` in the swift-env root): the
#     same three;
#   * from Rust: `cargo bench -p baladiya-tests --bench search_roundtrip` (bench profile), and the
#     same bench in the release profile (full LTO like the library Kotlin and Swift load), which is
#     the baseline the FFI overhead is computed against.
# Prints one table at the end.
#
#   scripts/bench-bindings.sh
#   BENCH_WARMUP=2000 BENCH_ROUNDS=5000 scripts/bench-bindings.sh     (the defaults)
#   BENCH_SKIP="swift rust-release" scripts/bench-bindings.sh         (parts: kotlin swift rust rust-release)
#
# Needs what test-kotlin.sh and test-swift.sh need (Maven; root for the Swift root). The library is
# the one the apps ship, built by scripts/build-lib.sh for the host (release profile, full LTO, the
# SQLite the store needs): the first run takes a while.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
warmup="${BENCH_WARMUP:-2000}"
rounds="${BENCH_ROUNDS:-5000}"
skip=" ${BENCH_SKIP:-} "
runs() { [[ $skip != *" $1 "* ]]; }
die() { echo "bench-bindings: $*" >&2; exit 1; }

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')"
host="$(rustc -vV | sed -n 's/^host: //p')"
lib_dir="$target_dir/$host/release"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> the shipped library for $host (scripts/build-lib.sh) and bindings generated from it"
scripts/build-lib.sh "$host"
BALADIYA_LIB="$lib_dir/libbaladiya_ffi.so" scripts/bindings.sh
cargo build -q -p baladiya-server

if runs kotlin || runs swift; then
  echo "==> reference server (--demo)"
  "$target_dir/debug/baladiya-server" --demo --listen 127.0.0.1:0 --data-dir "$work/server" \
    >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 200); do
    grep -q '^listening on ' "$work/server.out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; die "the server exited"; }
    sleep 0.05
  done
  url="$(sed -n 's/^listening on //p' "$work/server.out" | head -n1)"
  [[ $url == http://127.0.0.1:* ]] || die "the server did not say where it listens"
  echo "    $url"
  export BALADIYA_BENCH_SERVER_URL="$url" BALADIYA_BENCH_WARMUP="$warmup" BALADIYA_BENCH_ROUNDS="$rounds"
fi

if runs kotlin; then
  echo "==> Kotlin (JVM): SearchBench, $warmup warm-up calls then $rounds measured"
  command -v mvn >/dev/null || die "Maven (mvn) is required: apt-get install maven"
  timeout --kill-after=30 1200 mvn -B -ntp -f android/baladiya-kit/pom.xml test \
    -Dtest=SearchBench -Dsurefire.failIfNoSpecifiedTests=false -Dbaladiya.lib.dir="$lib_dir" \
    2>&1 | tee "$work/kotlin.log" | grep -E '^(BENCH|sample|JVM|library)|Tests run:|BUILD|ERROR' || true
  grep -q '^BENCH kotlin-facade ' "$work/kotlin.log" || die "the Kotlin benchmark printed no figures (see above)"
fi

if runs swift; then
  echo "==> Swift: BaladiyaBench (swift build -c release), $warmup warm-up calls then $rounds measured"
  LD_LIBRARY_PATH="$lib_dir" timeout --kill-after=30 1200 scripts/swift-env.sh run "$root" bash -c \
    "cd ios/BaladiyaKit && swift build -c release --product BaladiyaBench -Xlinker -L$lib_dir 2>&1 && .build/release/BaladiyaBench" \
    2>&1 | tee "$work/swift.log"
  grep -q '^BENCH swift-facade ' "$work/swift.log" || die "the Swift benchmark printed no figures (see above)"
fi

if [[ -n $server_pid ]]; then
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
fi

if runs rust; then
  echo "==> Rust: cargo bench -p baladiya-tests --bench search_roundtrip (bench profile)"
  cargo bench -p baladiya-tests --bench search_roundtrip 2>&1 | tee "$work/rust.log" | grep -v '^\s*\(Compiling\|Finished\|Running\)' || true
  grep -q '^Rust exported' "$work/rust.log" || die "the Rust benchmark printed no figures"
fi
if runs rust-release; then
  echo "==> Rust: the same in the release profile (the library build Kotlin and Swift load)"
  cargo bench -p baladiya-tests --bench search_roundtrip --profile release --target "$host" 2>&1 | tee "$work/rust-release.log" \
    | grep -v '^\s*\(Compiling\|Finished\|Running\)' || true
  grep -q '^Rust exported' "$work/rust-release.log" || die "the Rust (release) benchmark printed no figures"
fi

# ---------------------------------------------------------------- the table ----

# figure <log> <BENCH label>  ->  "median p99" (µs), or nothing
figure() {
  [[ -f $1 ]] || return 0
  sed -n "s/^BENCH $2 median_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2/p" "$1" | head -n1
}
# rust_figure <log> <line prefix>  ->  "median p99" (µs)
rust_figure() {
  [[ -f $1 ]] || return 0
  grep "^$2" "$1" | head -n1 | awk '{for (i = 1; i < NF; i++) { if ($i == "median") m = $(i+1); if ($i == "p99") p = $(i+1) } print m, p}'
}

rust_core="$(rust_figure "$work/rust.log" 'Rust core search_guide')"
rust_exported="$(rust_figure "$work/rust.log" 'Rust exported object')"
rel_core="$(rust_figure "$work/rust-release.log" 'Rust core search_guide')"
rel_exported="$(rust_figure "$work/rust-release.log" 'Rust exported object')"
kotlin_direct="$(figure "$work/kotlin.log" kotlin-direct)"
kotlin_facade="$(figure "$work/kotlin.log" kotlin-facade)"
kotlin_page="$(figure "$work/kotlin.log" kotlin-page)"
swift_page="$(figure "$work/swift.log" swift-page)"
kotlin_small="$(figure "$work/kotlin.log" kotlin-direct-small)"
swift_small="$(figure "$work/swift.log" swift-direct-small)"
kotlin_empty="$(figure "$work/kotlin.log" kotlin-direct-empty)"
swift_empty="$(figure "$work/swift.log" swift-direct-empty)"
swift_direct="$(figure "$work/swift.log" swift-direct)"
swift_facade="$(figure "$work/swift.log" swift-facade)"

baseline="$rel_exported"
baseline_name="Rust exported object, release profile"
if [[ -z $baseline ]]; then
  baseline="$rust_exported"
  baseline_name="Rust exported object, bench profile (release not run: the profiles differ, so this is rough)"
fi

row() {  # row <label> <"median p99"> [target]
  local m p
  read -r m p <<<"${2:-- -}"
  printf '%-58s %10s %10s   %s\n' "$1" "${m:--}" "${p:--}" "${3:-}"
}
overhead() {  # overhead <label> <"median p99"> <target µs>
  [[ -n $2 && -n $baseline ]] || { row "$1" "" "≤ $3 µs"; return; }
  local m p bm bp dm dp verdict
  read -r m p <<<"$2"
  read -r bm bp <<<"$baseline"
  dm="$(awk -v a="$m" -v b="$bm" 'BEGIN { printf "%.1f", a - b }')"
  dp="$(awk -v a="$p" -v b="$bp" 'BEGIN { printf "%.1f", a - b }')"
  verdict="$(awk -v d="$dm" -v t="$3" 'BEGIN { print (d <= t) ? "met" : "missed" }')"
  row "$1" "$dm $dp" "≤ $3 µs: $verdict (median)"
}
roundtrip() {  # roundtrip <label> <"median p99"> <target µs>
  [[ -n $2 ]] || { row "$1" "" "≤ $3 µs"; return; }
  local m p verdict
  read -r m p <<<"$2"
  verdict="$(awk -v d="$m" -v t="$3" 'BEGIN { print (d <= t) ? "met" : "missed" }')"
  row "$1" "$2" "≤ $3 µs: $verdict (median)"
}

echo
echo "Guide search round trip: a page of 20, sample catalogue, queries رخصة / مياه / permit / رخصه بناء"
echo "round-robin; Kotlin and Swift: $warmup warm-up calls, $rounds measured; Rust: 2,000 measured."
echo "$(nproc) CPUs, $(uname -m), $(date -u +%F)"
echo
printf '%-58s %10s %10s   %s\n' "round trip (µs)" "median" "p99" "target"
row "Rust core search_guide (bench profile)" "$rust_core"
row "Rust exported object, no FFI (bench profile)" "$rust_exported"
row "Rust core search_guide (release profile)" "$rel_core"
row "Rust exported object, no FFI (release profile)" "$rel_exported"
row "Kotlin JVM: generated binding, one record per hit (JNA)" "$kotlin_direct"
roundtrip "Kotlin JVM: compact page, decoded to List<GuideHit>" "$kotlin_page" 92
row "Kotlin JVM: facade suspend fun (page + hop to Dispatchers.IO)" "$kotlin_facade"
row "Swift: generated binding, one record per hit" "$swift_direct"
roundtrip "Swift: compact page, decoded to [GuideHit]" "$swift_page" 30
row "Swift: facade async func (page + detached task hop)" "$swift_facade"
row "Kotlin JVM: smallest call, guideVersion()" "$kotlin_small"
row "Swift: smallest call, guideVersion()" "$swift_small"
row "Kotlin JVM: the search call on an empty query (no hits)" "$kotlin_empty"
row "Swift: the search call on an empty query (no hits)" "$swift_empty"
echo
printf '%-58s %10s %10s   %s\n' "FFI overhead (µs), minus the baseline below" "median" "p99" "target"
overhead "Kotlin JVM: generated binding, record per hit" "$kotlin_direct" 100
overhead "Kotlin JVM: compact page, decoded" "$kotlin_page" 100
overhead "Kotlin JVM: facade suspend fun" "$kotlin_facade" 100
overhead "Swift: generated binding, record per hit" "$swift_direct" 30
overhead "Swift: compact page, decoded" "$swift_page" 30
overhead "Swift: facade async func" "$swift_facade" 30
echo
if [[ -n $baseline ]]; then
  read -r bm bp <<<"$baseline"
  echo "baseline: $baseline_name, $bm / $bp µs median / p99: the same search and conversion to GuideHit"
else
  echo "baseline: none (the Rust benchmark was skipped): the same search and conversion to GuideHit"
fi
echo "without crossing the FFI. Differences of medians and of p99s (not percentiles of differences):"
echo "the p99 row is rough. The search call on an empty query is the fixed cost of crossing with the"
echo "call's arguments; the rest of a search's overhead is mostly lifting the page of hits out of the"
echo "RustBuffer on the Kotlin/Swift side: value by value for the records, one buffer for the page."
