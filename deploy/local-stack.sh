#!/usr/bin/env bash
# Brings up a whole dirbridge on this machine: a demo OpenLDAP directory,
# cloud_svc (SQLite) and a registered connector_svc, then calls
# Directory.ListNamingContexts through the tunnel with `buf curl`.
# Ctrl-C stops everything it started. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

usage() {
  cat <<USAGE
usage: deploy/local-stack.sh [--replicas N]

Starts a demo slapd, cloud_svc and a registered connector_svc on loopback,
calls Directory.ListNamingContexts through the tunnel, and runs until Ctrl-C.

  --replicas N   N cloud_svc replicas (2 or more) on a local PostgreSQL
                 started for the stack, instead of one cloud_svc on SQLite.
                 The connector gets every replica's tunnel address; the
                 main job is then asked of every replica. Same as REPLICAS=N.
  -h, --help     this text.

Environment: BACKEND_ADDR (first replica's backend, 127.0.0.1:50051),
TUNNEL_ADDR (first replica's tunnel, 127.0.0.1:50052), STACK_DIR (where
state and logs go, ./.local-stack), LOCAL_STACK_NO_WAIT=1 (exit after the
main job).
USAGE
}
REPLICAS=${REPLICAS:-1}
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) [ $# -ge 2 ] || { usage >&2; exit 2; }; REPLICAS=$2; shift 2 ;;
    --replicas=*) REPLICAS=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "local-stack: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if ! [[ "$REPLICAS" =~ ^[1-9][0-9]?$ ]]; then
  echo "local-stack: --replicas wants a number from 1 to 99, not '$REPLICAS'" >&2
  exit 2
fi

deploy/setup.sh --with-buf
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2

BACKEND_ADDR=${BACKEND_ADDR:-127.0.0.1:50051}
TUNNEL_ADDR=${TUNNEL_ADDR:-127.0.0.1:50052}
STACK=${STACK_DIR:-$ROOT/.local-stack}
rm -rf "$STACK"
mkdir -p "$STACK/slapd-db" "$STACK/logs"
chmod 700 "$STACK"

pids=()
PG_BIN=/usr/lib/postgresql/15/bin
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "local-stack: stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -f "$STACK/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$STACK/pg/data" -m fast -w stop >/dev/null || true
  fi
}
trap cleanup INT TERM EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # host port seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "local-stack: nothing listens on $1:$2; see $STACK/logs" >&2
  return 1
}

# 1. slapd with the demo directory.
LDAP_PORT=$(free_port)
cat > "$STACK/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $STACK/slapd.pid
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
database mdb
maxsize 1073741824
suffix "dc=example,dc=com"
rootdn "cn=admin,dc=example,dc=com"
rootpw demo-admin-password
directory $STACK/slapd-db
index objectClass,uid,cn,member eq
CONF
slapadd -q -f "$STACK/slapd.conf" -l deploy/demo/demo.ldif
slapd -d 0 -f "$STACK/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/" >"$STACK/logs/slapd.log" 2>&1 &
pids+=($!)
wait_port 127.0.0.1 "$LDAP_PORT" 10

# 2. cloud_svc, plaintext on loopback only: one on SQLite, or N replicas
# on a PostgreSQL of the stack's own.
head -c 32 /dev/urandom | base64 | tr -d '/+=' > "$STACK/operator.token"
chmod 600 "$STACK/operator.token"
store_flags=()
if [ "$REPLICAS" -gt 1 ]; then
  # PostgreSQL refuses root: its directory belongs to the postgres user,
  # the superuser comes in over a socket there, cloud_svc over TCP with a
  # password from a 0600 file (never on a command line).
  PG_PORT=$(free_port)
  mkdir -p "$STACK/pg"; chmod 711 "$STACK"; chown postgres "$STACK/pg"; chmod 700 "$STACK/pg"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$STACK/pg/data" -U postgres -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >"$STACK/logs/initdb.log"
  printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nport = %s\n" \
    "$STACK/pg" "$PG_PORT" >> "$STACK/pg/data/postgresql.conf"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$STACK/pg/data" -l "$STACK/pg/server.log" \
    -w -t 60 start >/dev/null
  PG_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  printf '%s\n' "$PG_PASSWORD" > "$STACK/pg-password"; chmod 600 "$STACK/pg-password"
  runuser -u postgres -- psql -q -h "$STACK/pg" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 \
    -v pw="$PG_PASSWORD" >/dev/null <<'SQL'
CREATE ROLE dirbridge LOGIN PASSWORD :'pw';
CREATE DATABASE dirbridge OWNER dirbridge;
SQL
  unset PG_PASSWORD
  store_flags=(--store "postgresql://dirbridge@127.0.0.1:$PG_PORT/dirbridge"
               --store_password_file "$STACK/pg-password")
fi
backends=("$BACKEND_ADDR")
tunnels=("$TUNNEL_ADDR")
for i in $(seq 2 "$REPLICAS"); do
  backends+=("127.0.0.1:$(free_port)")
  tunnels+=("127.0.0.1:$(free_port)")
done
for i in $(seq 0 $((REPLICAS - 1))); do
  replica_flags=()
  if [ "$REPLICAS" -gt 1 ]; then
    replica_flags=(--peer_addr "127.0.0.1:$(free_port)" --replica_id "replica-$i")
  fi
  build/cloud_svc/cloud_svc --insecure --backend_addr "${backends[$i]}" \
    --tunnel_addr "${tunnels[$i]}" --data_dir "$STACK/cloud-data-$i" \
    --operator_token_file "$STACK/operator.token" "${store_flags[@]}" "${replica_flags[@]}" \
    >"$STACK/logs/cloud_svc-$i.log" 2>&1 &
  pids+=($!)
  wait_port "${backends[$i]%:*}" "${backends[$i]##*:}" 20
done

call() {  # token method json
  buf curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer $1" \
    -d "$3" "http://$BACKEND_ADDR/dirbridge.v1.$2"
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# 3. A tenant, a connector, its registration key; the connector registers.
TENANT_TOKEN=$(call "$(cat "$STACK/operator.token")" Admin/CreateTenant '{"name":"demo"}' | field token)
echo "$TENANT_TOKEN" > "$STACK/tenant.token"; chmod 600 "$STACK/tenant.token"
CONNECTOR_ID=$(call "$TENANT_TOKEN" Admin/CreateConnector '{"name":"demo-dc"}' | field connectorId)
KEY=$(call "$TENANT_TOKEN" Admin/GetRegistrationKey "{\"connectorId\":\"$CONNECTOR_ID\"}" | field registrationKey)
DIRBRIDGE_REGISTRATION_KEY=$KEY build/connector_svc/connector_svc register \
  --cloud "$TUNNEL_ADDR" --state_dir "$STACK/connector-state" --insecure

printf 'demo-bind-password' > "$STACK/bind-password"; chmod 600 "$STACK/bind-password"
cloud_address=$TUNNEL_ADDR
if [ "$REPLICAS" -gt 1 ]; then cloud_address="[$(IFS=,; echo "${tunnels[*]}")]"; fi
cat > "$STACK/connector.yaml" <<YAML
cloud:
  address: $cloud_address
  insecure: true
state_dir: $STACK/connector-state
ldap:
  uris: [ldap://127.0.0.1:$LDAP_PORT]
  tls: none
  bind_dn: cn=svc-dirbridge,dc=example,dc=com
  bind_password_file: $STACK/bind-password
  base_dn: dc=example,dc=com
  profile: openldap
YAML
build/connector_svc/connector_svc run --config "$STACK/connector.yaml" >"$STACK/logs/connector_svc.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  call "$TENANT_TOKEN" Admin/ListConnectors '{}' | grep -q CONNECTOR_STATUS_CONNECTED && break
  sleep 0.1
done

# 4. The main job: a routed call through the tunnel.
echo
echo "== Directory.ListNamingContexts, through the tunnel =="
call "$TENANT_TOKEN" Directory/ListNamingContexts '{}'
for i in $(seq 2 "$REPLICAS"); do
  echo
  echo "== the same, asked of replica $((i - 1)) (${backends[$((i - 1))]}) =="
  BACKEND_ADDR=${backends[$((i - 1))]} call "$TENANT_TOKEN" Directory/ListNamingContexts '{}'
done
echo
echo "== Admin.ListConnectors =="
call "$TENANT_TOKEN" Admin/ListConnectors '{}'
cat <<NEXT

The stack runs until Ctrl-C. Logs: $STACK/logs. Backends: ${backends[*]}. Next, try:
  TOKEN=\$(cat $STACK/tenant.token)
  buf curl --protocol grpc --http2-prior-knowledge --list-methods http://$BACKEND_ADDR
  buf curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer \$TOKEN" \\
      -d '{"payload":"aGk="}' http://$BACKEND_ADDR/dirbridge.v1.Admin/PingConnector
  buf curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer \$TOKEN" \\
      http://$BACKEND_ADDR/dirbridge.v1.Admin/ListAlerts
  buf curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer \$TOKEN" \\
      -d '{"username":"alice","password":"alice-password"}' http://$BACKEND_ADDR/dirbridge.v1.Auth/Authenticate
  buf curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer \$TOKEN" \\
      -d '{"baseDn":"dc=example,dc=com","pageSize":2}' http://$BACKEND_ADDR/dirbridge.v1.Directory/SearchUsers
  build/connector_svc/connector_svc check --config $STACK/connector.yaml
NEXT
if [ -n "${LOCAL_STACK_NO_WAIT:-}" ]; then exit 0; fi
wait
