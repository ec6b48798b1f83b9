#!/usr/bin/env bash
# Brings up a whole dirbridge on this machine: a demo OpenLDAP directory,
# cloud_svc (SQLite) and a registered connector_svc, then calls
# Directory.ListNamingContexts through the tunnel with `buf curl`.
# Ctrl-C stops everything it started. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

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
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "local-stack: stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
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

# 2. cloud_svc, plaintext on loopback only.
head -c 32 /dev/urandom | base64 | tr -d '/+=' > "$STACK/operator.token"
chmod 600 "$STACK/operator.token"
build/cloud_svc/cloud_svc --insecure --backend_addr "$BACKEND_ADDR" --tunnel_addr "$TUNNEL_ADDR" \
  --data_dir "$STACK/cloud-data" --operator_token_file "$STACK/operator.token" \
  >"$STACK/logs/cloud_svc.log" 2>&1 &
pids+=($!)
wait_port "${BACKEND_ADDR%:*}" "${BACKEND_ADDR##*:}" 10

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
cat > "$STACK/connector.yaml" <<YAML
cloud:
  address: $TUNNEL_ADDR
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
echo
echo "== Admin.ListConnectors =="
call "$TENANT_TOKEN" Admin/ListConnectors '{}'
cat <<NEXT

The stack runs until Ctrl-C. Logs: $STACK/logs. Next, try:
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
