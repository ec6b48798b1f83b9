#!/bin/bash
# First start: a cluster in $PGDATA whose superuser "dirbridge" has the
# password of $POSTGRES_PASSWORD_FILE (never on a command line), and a
# database "dirbridge". Then the server, password (SCRAM) logins only.
# PGPORT, PG_LISTEN: its port and addresses (5432, every address).
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=${POSTGRES_PASSWORD_FILE:?POSTGRES_PASSWORD_FILE names the role password file}
  initdb -D "$PGDATA" --username=dirbridge --pwfile="$pwfile" --auth-local=peer \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >/dev/null
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "host all all ::/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "CREATE DATABASE dirbridge OWNER dirbridge;" |
    postgres --single -D "$PGDATA" -c unix_socket_directories= postgres >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses="${PG_LISTEN:-*}" -p "${PGPORT:-5432}" \
  -c unix_socket_directories=/tmp
