#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test.
# Integration tests start their own slapd, cloud_svc and connector_svc on
# loopback ports they pick themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

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

# Every password and secret the tests use: none may be in any process log.
# The Samba DC's own log (in the build dir, tests/CMakeLists.txt) too.
leaks=$(grep -rlE 'pw-user[0-9]{5}|pw-(locked|mustchange|expired)|svc-secret|Sup3r-S3cret|hunter2|N3w-P|AdPw-' \
          --include='*.log' "$DIRBRIDGE_TEST_TMP" samba-dc 2>/dev/null || true)
if [ -n "$leaks" ]; then
  echo "a secret used by the tests appears in these logs:"; echo "$leaks"
  status=1
else
  echo "log scan: no test secret in $(find "$DIRBRIDGE_TEST_TMP" -name '*.log' | wc -l) process logs"
fi
if [ $status -eq 0 ]; then rm -rf "$DIRBRIDGE_TEST_TMP"; fi
exit $status
