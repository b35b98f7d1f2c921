#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL: `scripts/with-postgres.sh CMD ARGS…`.
#
# Debian's `postgresql` package (installed when missing, as root) provides the binaries; a new
# cluster is made with initdb in a temporary directory, owned by an unprivileged user (`postgres`
# when this runs as root, else the caller), listening on 127.0.0.1 only (and a Unix socket in
# that directory), on a free port, with a random password. Durability is off (fsync, full page
# writes): nothing in it outlives the command. CMD runs with BALADIYA_TEST_POSTGRES_URL set to
# postgres://baladiya:PASSWORD@127.0.0.1:PORT/baladiya; afterwards the server is stopped and the
# directory removed, whatever CMD did. The exit status is CMD's.
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 CMD [ARGS…]" >&2; exit 2; }

pg_bin=""
find_bin() {
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && pg_bin="$d"
  done
  return 0
}
find_bin
if [ -z "$pg_bin" ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "PostgreSQL is required (Debian: apt-get install postgresql, as root)" >&2
    exit 1
  fi
  echo "==> apt-get install postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q postgresql >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }
  find_bin
  [ -n "$pg_bin" ] || { echo "no initdb after installing postgresql" >&2; exit 1; }
fi

dir="$(mktemp -d /tmp/baladiya-pg.XXXXXX)"
chmod 700 "$dir"
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root.
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi

password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
printf '%s\n' "$password" >"$dir/pwfile"
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pwfile"

started=""
cleanup() {
  if [ -n "$started" ]; then
    "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${as_owner[@]}" "$pg_bin/initdb" -D "$dir/data" -U baladiya --pwfile="$dir/pwfile" \
  --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
rm -f "$dir/pwfile"

# A free port: try a few at random until one starts.
for _ in $(seq 1 20); do
  port=$((20000 + RANDOM % 30000))
  if "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
      start >/dev/null 2>&1; then
    started=1
    break
  fi
done
[ -n "$started" ] || { echo "PostgreSQL did not start:" >&2; tail -20 "$dir/server.log" >&2; exit 1; }

PGPASSWORD="$password" "$pg_bin/psql" -q -h 127.0.0.1 -p "$port" -U baladiya -d postgres \
  -c "CREATE DATABASE baladiya" >/dev/null

export BALADIYA_TEST_POSTGRES_URL="postgres://baladiya:$password@127.0.0.1:$port/baladiya"
echo "==> throwaway PostgreSQL on 127.0.0.1:$port ($("$pg_bin/postgres" --version))" >&2
set +e
"$@"
status=$?
set -e
exit "$status"
