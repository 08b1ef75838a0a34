#!/usr/bin/env bash
# A throw-away PostgreSQL cluster in a folder, on a loopback port (DESIGN.md section 9):
#   scripts/pg-cluster.sh start DIR [PORT]   initdb (first time) and start; prints the URL
#   scripts/pg-cluster.sh stop DIR           stop it (the folder stays; delete it to forget)
# Trust sign-in for the one role "salescore", on 127.0.0.1 only and a socket inside DIR: for
# tests and for trying the shared deployment, not for a real server (README "Shared deployment").
set -euo pipefail

cmd=${1:?usage: pg-cluster.sh start|stop DIR [PORT]}
dir=${2:?usage: pg-cluster.sh start|stop DIR [PORT]}
port=${3:-5433}

bin=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && bin=$candidate
done
if [ -z "$bin" ] && command -v initdb >/dev/null; then
    bin=$(dirname "$(readlink -f "$(command -v initdb)")")
fi
[ -n "$bin" ] || { echo "PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2; exit 2; }

# the server refuses to run as root: as root, the cluster belongs to the postgres user
as_owner() {
    if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi

case $cmd in
start)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "'$bin/initdb' -D '$dir/data' -A trust -U salescore --encoding=UTF8 --locale=C.UTF-8" >"$dir/initdb.log"
    fi
    as_owner "'$bin/pg_ctl' -D '$dir/data' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off\" -l '$dir/log' -w start" >/dev/null
    echo "postgresql://salescore@127.0.0.1:$port/postgres"
    ;;
stop)
    as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null || true
    ;;
*)
    echo "usage: pg-cluster.sh start|stop DIR [PORT]" >&2; exit 2
    ;;
esac
