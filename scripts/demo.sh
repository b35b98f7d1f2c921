#!/usr/bin/env bash
# The demo: the reference server with sample data, in-process on a free loopback port, and the app
# core walking through sync, Arabic and English search, a service in full, a delta, offline use.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
cargo build -q -p baladiya-cli
exec "$root/target/debug/baladiya" demo "$@"
