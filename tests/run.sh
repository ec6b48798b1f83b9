#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test; then
# the same suite under ASan+UBSan and each fuzz target for a bounded time
# (tests/sanitize.sh, tests/fuzz/run.sh; README "Sanitizers and fuzzing");
# last, the container images and the compose stack (deploy/compose-test.sh).
# Integration tests start their own slapd, cloud_svc and connector_svc on
# loopback ports they pick themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. "$ROOT/tests/log_scan.sh"

deploy/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
start=$(date +%s)
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2
built=$(date +%s)
echo "build: $((built - start)) s"

export DIRBRIDGE_TEST_TMP=$(mktemp -d /tmp/dirbridge-tests-XXXXXX)
cd "$BUILD_DIR"
status=0
ctest -j2 --output-on-failure --timeout 300 || status=$?
echo "tests: $(( $(date +%s) - built )) s (logs of the processes under $DIRBRIDGE_TEST_TMP)"

# The Samba DC's own log (in the build dir, tests/CMakeLists.txt) too.
scan_secrets "$DIRBRIDGE_TEST_TMP" samba-dc || status=1
if [ $status -eq 0 ]; then rm -rf "$DIRBRIDGE_TEST_TMP"; fi
unset DIRBRIDGE_TEST_TMP
cd "$ROOT"

# The first of the two commands, in its N-replica form (PostgreSQL and two
# cloud_svc replicas): it must answer through the tunnel from either one.
stack_status=0
stack_start=$(date +%s)
stack_dir=$(mktemp -d /tmp/dirbridge-local-stack-XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BACKEND_ADDR=127.0.0.1:$(free_port) TUNNEL_ADDR=127.0.0.1:$(free_port) STACK_DIR=$stack_dir \
  LOCAL_STACK_NO_WAIT=1 timeout 600 deploy/local-stack.sh --replicas 2 >"$stack_dir.log" 2>&1 ||
  stack_status=$?
if [ $stack_status -eq 0 ] && [ "$(grep -cE '^ +"dc=example,dc=com"$' "$stack_dir.log")" -ne 2 ]; then
  echo "local stack: not every replica answered ListNamingContexts" >&2; stack_status=1
fi
if [ $stack_status -ne 0 ]; then tail -n 30 "$stack_dir.log"; tail -n 20 "$stack_dir"/logs/*.log; fi
# None of the stack's own secrets may reach a log.
for secret in operator.token tenant.token pg-password bind-password; do
  value=$(cat "$stack_dir/$secret" 2>/dev/null || true)
  if [ -n "$value" ] && grep -rqF -- "$value" "$stack_dir/logs" "$stack_dir.log"; then
    echo "local stack: the $secret appears in a log" >&2; stack_status=1
  fi
done
rm -rf "$stack_dir" "$stack_dir.log"
echo "local stack, 2 replicas: $(( $(date +%s) - stack_start )) s (status $stack_status)"
[ $stack_status -eq 0 ] || status=1

# The sanitizer build also holds the fuzz targets: sanitize.sh first.
sanitize_status=0
tests/sanitize.sh || sanitize_status=$?
fuzz_status=0
if [ $sanitize_status -ne 2 ]; then  # 2: the sanitizer build itself failed
  tests/fuzz/run.sh "${FUZZ_SECONDS:-30}" || fuzz_status=$?
fi

# The container images built and the compose stack run on loopback
# (deploy/compose-test.sh installs docker.io and mmdebstrap when missing,
# starts dockerd when none answers; README "Operations").
compose_start=$(date +%s)
compose_status=0
deploy/compose-test.sh || compose_status=$?
echo "compose: $(( $(date +%s) - compose_start )) s"
echo "total: $(( $(date +%s) - start )) s (normal: $status, sanitizers: $sanitize_status, fuzz: $fuzz_status, compose: $compose_status)"
[ $status -eq 0 ] && [ $sanitize_status -eq 0 ] && [ $fuzz_status -eq 0 ] && [ $compose_status -eq 0 ]
