#!/usr/bin/env bash
# Makes the demo stack's secret files in DIR (default deploy/demo/secrets):
# compose without swarm mounts a secret file as it is, so each must already
# be mode 0600 and owned by the user of the service that reads it (10001
# for cloud_svc and connector_svc, 10002 for PostgreSQL). Run as root.
# Keeps files that exist. The PostgreSQL password is random, never printed.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../demo/secrets}
mkdir -p "$dir"; chmod 0755 "$dir"
put() {  # name owner content
  (umask 077; printf '%s' "$3" > "$dir/$1")
  chown "$2:$2" "$dir/$1"
}
# The demo directory's service account (deploy/demo/demo.ldif).
[ -e "$dir/bind-password" ] || put bind-password 10001 "$(cat "$here/../demo/bind-password")"
# One password, one copy for each reader (cloud_svc, PostgreSQL's initdb).
if [ ! -e "$dir/pg-password" ] || [ ! -e "$dir/pg-password.postgres" ]; then
  pw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  put pg-password 10001 "$pw"
  put pg-password.postgres 10002 "$pw"
fi
