#!/usr/bin/env bash
# Checks what operators deploy from: the compose file is valid and builds
# every image from this repository on debian:12, and the systemd units pass
# systemd-analyze verify. Prints "N passed, N failed".
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
check "compose: every service is built here, no outside image" \
  bash -c "! grep -qE '^\s*image:' '$compose' && [ \$(grep -c 'dockerfile:' '$compose') -eq 3 ]"
for f in "$root"/deploy/docker/*.Dockerfile; do
  check "$(basename "$f"): FROM debian:12 only" \
    bash -c "grep -E '^FROM' '$f' | grep -vqE '^FROM debian:12( AS build)?$' && exit 1 || exit 0"
  check "$(basename "$f"): runs as non-root" \
    bash -c "grep -qE '^USER [a-z]' '$f' || grep -q '\"-u\", \"openldap\"' '$f'"
done

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
