#!/usr/bin/env bash
# Checks what operators deploy from: the compose file (and its profile and
# test override) is valid and builds every image from this repository on
# BASE_IMAGE (debian:12 by default), and the systemd units pass
# systemd-analyze verify. deploy/compose-test.sh builds and runs the images
# themselves. Prints "N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin_dir=$(cd "${1:?usage: check_deploy_files.sh BUILD_DIR}" && pwd)
passed=0; failed=0
check() {  # name command...
  local name=$1; shift
  if out=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; echo "$out" | sed 's/^/     /'
  fi
}

compose="$root/deploy/docker-compose.yml"
check "docker-compose config" docker-compose -f "$compose" config -q
check "docker-compose config with deploy/docker/compose.ports.yml" \
  docker-compose -f "$compose" -f "$root/deploy/docker/compose.ports.yml" config -q
check "docker-compose --profile replicas config" \
  docker-compose -f "$compose" --profile replicas config -q
# The test stack's override, with the ports deploy/compose-test.sh sets.
check "docker-compose config with deploy/docker/compose.test.yml" env LDAP_PORT=1 \
  BACKEND_PORT=2 TUNNEL_PORT=3 CLOUD_METRICS_PORT=4 PG_PORT=5 A_PEER_PORT=6 A_BACKEND_PORT=7 \
  A_TUNNEL_PORT=8 B_PEER_PORT=9 B_BACKEND_PORT=10 B_TUNNEL_PORT=11 TEST_DIR=/tmp \
  docker-compose -f "$compose" -f "$root/deploy/docker/compose.test.yml" --profile replicas config -q
check "compose: every image is one of ours, built from deploy/docker/" bash -c "
  ! grep -E '^\s*image:' '$compose' | grep -vq 'image: dirbridge/' &&
  for f in \$(sed -n 's/^ *dockerfile: *//p' '$compose'); do test -f '$root/'\$f || exit 1; done"
check "compose test override: host networking only" bash -c "
  [ \$(grep -c 'network_mode: host' '$root/deploy/docker/compose.test.yml') -eq 7 ] &&
  ! grep -qE '^\s*(networks|ports):' '$root/deploy/docker/compose.test.yml'"
for f in "$root"/deploy/docker/*.Dockerfile; do
  # A local base where no registry answers, debian:12 by default.
  check "$(basename "$f"): FROM \${BASE_IMAGE} (default debian:12) or its own stages" \
    bash -c "grep -q '^ARG BASE_IMAGE=debian:12$' '$f' &&
      ! grep -E '^FROM' '$f' | grep -vqE '^FROM (\\\$\{BASE_IMAGE\}|build|runtime)( AS [a-z]+)?$'"
  check "$(basename "$f"): runs as non-root, has a HEALTHCHECK" \
    bash -c "grep -qE '^USER [a-z0-9]' '$f' && ! grep -qE '^USER (0|root)' '$f' &&
      grep -q '^HEALTHCHECK' '$f'"
done
check "shellcheck deploy/compose-test.sh deploy/docker/*.sh" bash -c "
  ! command -v shellcheck >/dev/null || shellcheck -S warning '$root/deploy/compose-test.sh' '$root'/deploy/docker/*.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in "$root"/deploy/systemd/*.service; do
  name=$(basename "$unit")
  # verify wants ExecStart's binary to exist: point it at the build's.
  sed -e "s|/usr/local/bin/cloud_svc|$bin_dir/cloud_svc/cloud_svc|" \
      -e "s|/usr/local/bin/connector_svc|$bin_dir/connector_svc/connector_svc|" "$unit" > "$tmp/$name"
  check "systemd-analyze verify $name" bash -c "
    out=\$(systemd-analyze verify '$tmp/$name' 2>&1); rc=\$?
    # Only complaints about this unit count (not the host's other units).
    bad=\$(grep -F '$name' <<< \"\$out\" || true)
    echo \"\$out\"; [ \$rc -eq 0 ] && [ -z \"\$bad\" ]"
  for key in ProtectSystem=strict NoNewPrivileges=yes StateDirectory= Restart=on-failure User=; do
    check "$name has $key" grep -q "^$key" "$unit"
  done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
