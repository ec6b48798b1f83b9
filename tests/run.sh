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
