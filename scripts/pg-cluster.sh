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
        # one role that must give its password (tests of a refused sign-in), before the trust lines
        hba="$dir/data/pg_hba.conf"
        { echo "host all salescore_pw 127.0.0.1/32 scram-sha-256"; cat "$hba"; } > "$hba.new"
        mv "$hba.new" "$hba"
        [ "$(id -u)" = 0 ] && chown postgres "$hba"
    fi
    if ! as_owner "'$bin/pg_ctl' -D '$dir/data' status" >/dev/null 2>&1; then
        as_owner "'$bin/pg_ctl' -D '$dir/data' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-on}\" -l '$dir/log' -w start" >/dev/null
    fi
    # the database salescore keeps its tables in (the role may create more: the tests do)
    if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U salescore -d postgres -tAc \
            "select 1 from pg_database where datname = 'salescore'" | grep -q 1; then
        "$bin/createdb" -h 127.0.0.1 -p "$port" -U salescore salescore
    fi
    echo "postgresql://salescore@127.0.0.1:$port/salescore"
    ;;
stop)
    as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null || true
    ;;
*)
    echo "usage: pg-cluster.sh start|stop DIR [PORT]" >&2; exit 2
    ;;
esac
