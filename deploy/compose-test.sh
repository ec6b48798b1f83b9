#!/usr/bin/env bash
# Builds every image of deploy/docker-compose.yml, brings the stack up with
# host networking on loopback (deploy/docker/compose.test.yml), checks it,
# then `down -v`. README "Operations" says what it checks and its times.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: deploy/compose-test.sh [--no-replicas] [--no-build] [--keep-logs] [-h|--help]

Run as root on Debian 12. Installs what is missing (docker.io, mmdebstrap,
docker-compose, python3-grpcio, protobuf-compiler), starts dockerd if none
answers (and stops it again at the end), makes the local base image once
(mmdebstrap bookworm | docker import, reused while it exists), builds the
images (cloud_svc and connector_svc from one compile, the demo slapd,
PostgreSQL), brings the stack up on free 127.0.0.1 ports, and checks:
  every container healthy, and none running a process as root;
  the connector registered through the bootstrap path and Connected;
  Directory.ListNamingContexts answered through the containerised tunnel
  (printed), and through each of two cloud_svc replicas on PostgreSQL
  (profile replicas; --no-replicas leaves it out);
  no password, key or token in any container's log;
  nothing of the stack left after `down -v`.
Exit status 0 only when every check passed; each failure is named.

  --no-replicas   leave the replicas profile out (faster)
  --no-build      use the images as they are (each must exist)
  --keep-logs     keep the containers' logs even when everything passed

Environment: BASE_IMAGE (default dirbridge-base:bookworm, made here when
missing; any Debian 12 image will do), BUILD_JOBS (default 2).
EOF
}

REPLICAS=1
KEEP_LOGS=0
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --no-replicas) REPLICAS=0 ;;
    --keep-logs) KEEP_LOGS=1 ;;
    --no-build) BUILD=0 ;;
    *) echo "compose-test: unknown argument \"$1\"" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

cd "$(dirname "$0")/.."
say() { echo "compose-test: $*"; }
die() { echo "compose-test: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and drives dockerd)"
start=$(date +%s)

# ---- What it needs, installed only when missing ----------------------------
need=()
WORK_APT=/tmp/dirbridge-compose-apt.log
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
# Debian's python, whatever else PATH has first (python3-grpcio is its).
PY=/usr/bin/python3
"$PY" -c 'import grpc' 2>/dev/null || need+=(python3-grpcio)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # No daemon started from a postinst: this script starts its own below.
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${need[@]}" > "$WORK_APT" 2>&1 ||
    { tail -20 "$WORK_APT"; die "apt-get install ${need[*]} failed"; }
  rm -f "$WORK_APT"
  if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

# Debian's client first: it matches Debian's daemon and has BuildKit built
# in; a newer client without the buildx plugin builds with the legacy builder.
DOCKER=
for c in /usr/bin/docker "$(command -v docker || true)"; do
  if [ -n "$c" ] && [ -x "$c" ]; then DOCKER=$c; break; fi
done
[ -n "$DOCKER" ] || die "no docker client"

WORK=$(mktemp -d /tmp/dirbridge-compose-XXXXXX)
chmod 0755 "$WORK"
PROJECT=dbtest$$
DOCKERD_PID=
COMPOSE=()
COMPOSE_ARGS=()
passed=0; failed=0; failures=()

save_logs() {  # every container's output, to $WORK/logs/SERVICE.log
  local svc id
  mkdir -p "$WORK/logs"
  for id in $("$DOCKER" ps -aq --filter "label=com.docker.compose.project=$PROJECT"); do
    svc=$("$DOCKER" inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$id")
    "$DOCKER" logs "$id" > "$WORK/logs/$svc.log" 2>&1
  done
}
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ ${#COMPOSE[@]} -gt 0 ]; then
    [ -d "$WORK/logs" ] || save_logs
    "${COMPOSE[@]}" "${COMPOSE_ARGS[@]}" down -v --remove-orphans >/dev/null 2>&1
  fi
  if [ -n "$DOCKERD_PID" ]; then kill -TERM "$DOCKERD_PID" 2>/dev/null; wait "$DOCKERD_PID" 2>/dev/null; fi
  rm -rf "$WORK/secrets" "$WORK"/*.token
  if [ $rc -eq 0 ] && [ $failed -eq 0 ] && [ $KEEP_LOGS -eq 0 ]; then
    rm -rf "$WORK"
  else
    say "logs (build, up, containers) kept in $WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- The daemon, the compose command ------------------------------------------
if ! "$DOCKER" info >/dev/null 2>&1; then
  say "no docker daemon answers: starting dockerd (log: $WORK/dockerd.log)"
  nohup dockerd > "$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 120); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 0.5; done
  "$DOCKER" info >/dev/null 2>&1 || die "dockerd did not answer within 60 s (see $WORK/dockerd.log)"
fi
client=$("$DOCKER" version -f '{{.Client.Version}}' 2>/dev/null || echo 0)
if [ "${client%%.*}" -lt 23 ] 2>/dev/null || "$DOCKER" buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=1
else
  export DOCKER_BUILDKIT=0
fi
WAIT=0
if "$DOCKER" compose version >/dev/null 2>&1; then
  COMPOSE=("$DOCKER" compose); WAIT=1
elif command -v docker-compose >/dev/null 2>&1; then
  COMPOSE=(docker-compose)
else
  die "neither \`docker compose\` nor docker-compose"
fi
COMPOSE_ARGS=(-p "$PROJECT" -f deploy/docker-compose.yml -f deploy/docker/compose.test.yml)
if [ $REPLICAS -eq 1 ]; then COMPOSE_ARGS+=(--profile replicas); fi
say "docker client $client ($DOCKER, BuildKit $DOCKER_BUILDKIT), ${COMPOSE[*]}"

# ---- The base image, made once --------------------------------------------
BASE_IMAGE=${BASE_IMAGE:-dirbridge-base:bookworm}
if ! "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  [ "$BASE_IMAGE" = dirbridge-base:bookworm ] || die "base image $BASE_IMAGE does not exist"
  t=$(date +%s)
  # Settings of every image's apt and dpkg: no docs, no recommends, no
  # fsync (a build's layer is thrown away if it fails anyway).
  mmdebstrap --variant=minbase --quiet \
    --aptopt='Acquire::Languages "none"' --aptopt='APT::Install-Recommends "false"' \
    --aptopt='Acquire::Check-Valid-Until "false"' --dpkgopt='force-unsafe-io' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' bookworm - </dev/null |
    "$DOCKER" import - "$BASE_IMAGE" >/dev/null
  say "base image $BASE_IMAGE made in $(( $(date +%s) - t )) s"
else
  say "base image $BASE_IMAGE exists: reused"
fi

# ---- Images, one build at a time ----------------------------------------------
JOBS=${BUILD_JOBS:-2}
build() {  # image dockerfile [target]
  local t log=$WORK/build-${1//[\/:]/_}.log extra=()
  t=$(date +%s)
  if [ $BUILD -eq 0 ]; then
    "$DOCKER" image inspect "$1" >/dev/null 2>&1 || die "--no-build: no image $1"
    return 0
  fi
  if [ -n "${3:-}" ]; then extra+=(--target "$3"); fi
  if [ "$DOCKER_BUILDKIT" = 1 ]; then extra+=(--progress=plain); fi
  if ! "$DOCKER" build --network host --build-arg BASE_IMAGE="$BASE_IMAGE" \
         --build-arg BUILD_JOBS="$JOBS" --build-arg BUILD_NICE=10 "${extra[@]}" \
         -f "deploy/docker/$2" -t "$1" . > "$log" 2>&1; then
    tail -40 "$log" | sed 's/^/    /'
    die "building $1 failed (whole log: $log)"
  fi
  say "built $1 in $(( $(date +%s) - t )) s"
}
t_build=$(date +%s)
build dirbridge/cloud_svc:latest services.Dockerfile cloud
build dirbridge/connector_svc:latest services.Dockerfile connector
build dirbridge/slapd-demo:latest slapd-demo.Dockerfile
if [ $REPLICAS -eq 1 ]; then build dirbridge/postgres:latest postgres.Dockerfile; fi
build_s=$(( $(date +%s) - t_build ))
say "images built in $build_s s"

# ---- Ports, secrets, the connectors' configs --------------------------------
# Free ports, held together while picked so that no two are the same.
read -r LDAP_PORT BACKEND_PORT TUNNEL_PORT CLOUD_METRICS_PORT CONNECTOR_METRICS_PORT \
  PG_PORT A_PEER_PORT A_BACKEND_PORT A_TUNNEL_PORT B_PEER_PORT B_BACKEND_PORT B_TUNNEL_PORT \
  R_METRICS_PORT < <("$PY" -c '
import socket
s = [socket.socket() for _ in range(13)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
export LDAP_PORT BACKEND_PORT TUNNEL_PORT CLOUD_METRICS_PORT PG_PORT A_PEER_PORT \
  A_BACKEND_PORT A_TUNNEL_PORT B_PEER_PORT B_BACKEND_PORT B_TUNNEL_PORT
export TEST_DIR=$WORK DIRBRIDGE_SECRETS=$WORK/secrets BASE_IMAGE
deploy/docker/demo-secrets.sh "$DIRBRIDGE_SECRETS"
connector_yaml() {  # addresses metrics_port
  cat <<EOF
cloud:
  address: [$1]
  insecure: false
state_dir: /var/lib/dirbridge-connector/state
metrics_addr: 127.0.0.1:$2
ldap:
  uris: [ldap://127.0.0.1:$LDAP_PORT]
  tls: none
  bind_dn: cn=svc-dirbridge,dc=example,dc=com
  bind_password_file: /run/secrets/bind_password
  base_dn: dc=example,dc=com
  profile: openldap
EOF
}
connector_yaml "127.0.0.1:$TUNNEL_PORT" "$CONNECTOR_METRICS_PORT" > "$WORK/connector.yaml"
connector_yaml "127.0.0.1:$A_TUNNEL_PORT, 127.0.0.1:$B_TUNNEL_PORT" "$R_METRICS_PORT" \
  > "$WORK/connector-r.yaml"
chmod 0644 "$WORK"/connector*.yaml

# ---- Up --------------------------------------------------------------------
t_up=$(date +%s)
up_args=(up -d --no-build)
if [ $WAIT -eq 1 ]; then up_args+=(--wait); fi
say "starting the stack (project $PROJECT; ports: ldap $LDAP_PORT, backend $BACKEND_PORT," \
  "tunnel $TUNNEL_PORT)"
up_ok=1
"${COMPOSE[@]}" "${COMPOSE_ARGS[@]}" "${up_args[@]}" > "$WORK/up.log" 2>&1 || up_ok=0
# What must run (compose v1's `config --services` ignores profiles).
services="ldap cloud connector"
if [ $REPLICAS -eq 1 ]; then services+=" postgres cloud-a cloud-b connector-r"; fi
# A service's container, by the labels compose puts on it (one quick call).
cid() {
  "$DOCKER" ps -aq --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" | head -1
}
health() { "$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null || echo missing; }
# Every container healthy, or one exited, or 3 minutes.
deadline=$(( $(date +%s) + 180 ))
while [ "$(date +%s)" -lt $deadline ]; do
  all=1; gone=0
  for svc in $services; do
    id=$(cid "$svc")
    if [ -z "$id" ]; then all=0; gone=1; continue; fi
    [ "$(health "$id")" = healthy ] || all=0
    [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$id")" = true ] || gone=1
  done
  if [ $all -eq 1 ] || [ $gone -eq 1 ]; then break; fi
  sleep 1
done
up_s=$(( $(date +%s) - t_up ))
if [ $up_ok -eq 0 ]; then sed 's/^/    /' "$WORK/up.log" | tail -30; fi
say "stack up in $up_s s"

check() {  # name command...: passes when the command does
  local name=$1 out; shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name"
    [ -z "$out" ] || echo "$out" | tail -20 | sed 's/^/     /'
  fi
}
is_healthy() {  # service
  local id; id=$(cid "$1")
  [ -n "$id" ] || { echo "no container"; return 1; }
  local h; h=$(health "$id")
  [ "$h" = healthy ] || { echo "health: $h"; "$DOCKER" inspect -f \
    '{{if .State.Health}}{{range .State.Health.Log}}{{.Output}}{{end}}{{end}}' "$id" | tail -3
    return 1; }
}
non_root() {  # service: neither the image's user nor any process is root
  local id user uids; id=$(cid "$1")
  [ -n "$id" ] || { echo "no container"; return 1; }
  user=$("$DOCKER" inspect -f '{{.Config.User}}' "$id")
  uids=$("$DOCKER" top "$id" -o pid,uid,comm | tail -n +2)
  echo "user \"$user\"; processes (pid uid command):"; echo "$uids"
  [ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] || return 1
  [ -n "$uids" ] && ! awk '$2 == 0 || $2 == "root"' <<< "$uids" | grep -q .
}
check "docker-compose up (see $WORK/up.log)" test $up_ok -eq 1
for svc in $services; do check "$svc: healthy" is_healthy "$svc"; done
for svc in $services; do check "$svc: runs as a non-root user" non_root "$svc"; done

# The backend's CA and the demo tenant's token, from the bootstrap volume.
fetch_bootstrap() {  # service prefix
  local id; id=$(cid "$1"); [ -n "$id" ] || return 1
  (umask 077
   "$DOCKER" exec "$id" cat /var/lib/dirbridge/bootstrap/tenant.token > "$WORK/$2.token"
   "$DOCKER" exec "$id" cat /var/lib/dirbridge/bootstrap/backend-ca.pem > "$WORK/$2-ca.pem")
}
call() {  # prefix port Service/Method response_type proto
  "$PY" deploy/tools/grpc_call.py --addr "127.0.0.1:$2" --ca "$WORK/$1-ca.pem" \
      --token_file "$WORK/$1.token" "dirbridge.v1.$3" > "$WORK/answer.bin" &&
    protoc --decode="dirbridge.v1.$4" -I proto "dirbridge/v1/$5" < "$WORK/answer.bin"
}
connected() {  # prefix port: the tenant's connector is Connected
  local out
  for _ in $(seq 1 20); do
    out=$(call "$1" "$2" Admin/ListConnectors ListConnectorsResponse admin.proto 2>&1) &&
      grep -q CONNECTOR_STATUS_CONNECTED <<< "$out" && return 0
    sleep 0.5
  done
  echo "$out"; return 1
}
naming_contexts() {  # prefix port: prints the answer
  local out
  out=$(call "$1" "$2" Directory/ListNamingContexts ListNamingContextsResponse \
        directory.proto) || { echo "$out"; return 1; }
  echo "Directory.ListNamingContexts via 127.0.0.1:$2:"; echo "$out" | sed 's/^/  /'
  grep -q '"dc=example,dc=com"' <<< "$out"
}
registered() {  # connector service: an identity from the bootstrap key
  local id; id=$(cid "$1"); [ -n "$id" ] || return 1
  "$DOCKER" exec "$id" test -s /var/lib/dirbridge-connector/state/identity || return 1
  local out; out=$("$DOCKER" logs "$id" 2>&1)
  grep '^registered connector' <<< "$out"
}
check "connector: registered through the bootstrap key" registered connector
check "cloud: demo token and backend CA from the bootstrap volume" fetch_bootstrap cloud one
check "cloud: the connector is Connected (Admin.ListConnectors)" connected one "$BACKEND_PORT"
naming_out=$(naming_contexts one "$BACKEND_PORT" 2>&1) && naming_ok=1 || naming_ok=0
echo "$naming_out"
check "Directory.ListNamingContexts through the containerised tunnel" test "$naming_ok" -eq 1
if [ $REPLICAS -eq 1 ]; then
  check "connector-r: registered through the bootstrap key" registered connector-r
  check "cloud-a: demo token and backend CA from the bootstrap volume" fetch_bootstrap cloud-a rep
  check "cloud-b: the connector is Connected (seen through replica b)" connected rep "$B_BACKEND_PORT"
  for port in "$A_BACKEND_PORT" "$B_BACKEND_PORT"; do
    out=$(naming_contexts rep "$port" 2>&1) && ok=1 || ok=0
    echo "$out"
    check "Directory.ListNamingContexts through replica on $port (PostgreSQL store)" test "$ok" -eq 1
  done
fi

# The operator's way (README): the connector image run by hand with the
# config and the state volume, here its `check` against the running stack.
operator_check() {
  "$DOCKER" run --rm --network host -v "${PROJECT}_connector-state:/var/lib/dirbridge-connector:ro" \
    -v "$WORK/connector.yaml:/etc/dirbridge/connector.yaml:ro" \
    -v "$WORK/secrets/bind-password:/run/secrets/bind_password:ro" \
    dirbridge/connector_svc:latest check --config /etc/dirbridge/connector.yaml
}
check "docker run dirbridge/connector_svc check (config + state volume)" operator_check

# No secret in any log: the demo tokens, the registration keys, the passwords.
no_secret_logged() {
  local secrets=$WORK/secrets/all
  (umask 077
   for f in "$WORK"/*.token "$WORK/secrets/pg-password" "$WORK/secrets/bind-password"; do
     [ -f "$f" ] && { cat "$f"; echo; }
   done > "$secrets"
   for svc in cloud cloud-a; do
     id=$(cid "$svc"); [ -n "$id" ] || continue
     "$DOCKER" exec "$id" cat /var/lib/dirbridge/bootstrap/registration.key >> "$secrets"
     echo >> "$secrets"
   done
   sed -i '/^$/d' "$secrets")
  echo "$(cat "$WORK"/logs/*.log | wc -l) log lines, $(wc -l < "$secrets") secrets looked for"
  # Not vacuous: the logs are there (each cloud_svc logs its start).
  grep -q 'event=started' "$WORK/logs/cloud.log" || { echo "no cloud_svc log"; return 1; }
  ! grep -qF -f "$secrets" "$WORK"/logs/*.log
}
save_logs
check "no password, key or token in any container's log" no_secret_logged

# ---- Down ------------------------------------------------------------------
"${COMPOSE[@]}" "${COMPOSE_ARGS[@]}" down -v --remove-orphans > "$WORK/down.log" 2>&1 || true
left() {
  local c v
  c=$("$DOCKER" ps -aq --filter "label=com.docker.compose.project=$PROJECT")
  v=$("$DOCKER" volume ls -q --filter "label=com.docker.compose.project=$PROJECT")
  echo "containers: ${c:-none}; volumes: ${v:-none}"
  [ -z "$c" ] && [ -z "$v" ]
}
check "down -v: no container or volume left" left

say "image sizes:"
"$DOCKER" image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^dirbridge' | sort |
  sed 's/^/  /'
total_s=$(( $(date +%s) - start ))
say "times: images $build_s s, up to healthy $up_s s, total $total_s s"
if [ $failed -gt 0 ]; then say "failed: $(IFS=';'; echo "${failures[*]}")"; fi
echo "compose-test: $passed passed, $failed failed"
[ $failed -eq 0 ]
