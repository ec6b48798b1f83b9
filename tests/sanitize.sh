#!/usr/bin/env bash
# The whole ctest suite (unit, e2e, the fuzz corpora) on an ASan+UBSan build
# of the tests and both services. Fails on a failing test or on any
# sanitizer report, in a test's own output or in the log of any process the
# tests started (cloud_svc, connector_svc: under $DIRBRIDGE_TEST_TMP), and
# prints the report. Exit 2 when the build fails. README, "Sanitizers and
# fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. "$ROOT/tests/log_scan.sh"
BUILD_DIR=${SANITIZE_BUILD_DIR:-build-sanitize}

start=$(date +%s)
# -O1 and line tables only: a third of RelWithDebInfo's build time, and
# every report still names file and line. The same build carries the
# libFuzzer coverage, so the fuzz targets need no build of their own.
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DDIRBRIDGE_SANITIZE=ON -DDIRBRIDGE_FUZZ=ON -DDIRBRIDGE_BENCH=OFF >/dev/null || exit 2
cmake --build "$BUILD_DIR" -j2 || exit 2
built=$(date +%s)
echo "sanitizer build: $((built - start)) s"

SUPP="$ROOT/tests/sanitizers"
# Leaks are checked in every process that exits (unit tests, and the
# services, which the e2e tests stop with SIGTERM); UBSan stops at its
# first finding.
export ASAN_OPTIONS="detect_leaks=1"
export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="suppressions=$SUPP/ubsan.supp:print_stacktrace=1:halt_on_error=1"
export DIRBRIDGE_TEST_TMP=$(mktemp -d /tmp/dirbridge-sanitize-XXXXXX)
# The services end each test with SIGTERM, not SIGKILL: LeakSanitizer
# checks them as they exit (tests/harness/process.h).
export DIRBRIDGE_TEST_STOP_GRACEFULLY=1

status=0
(cd "$BUILD_DIR" && ctest -j2 --output-on-failure --timeout 600) || status=1
echo "sanitizer tests: $(( $(date +%s) - built )) s (logs under $DIRBRIDGE_TEST_TMP)"
scan_sanitizer_reports "$BUILD_DIR/Testing/Temporary/LastTest.log" "$DIRBRIDGE_TEST_TMP" || status=1
# How many services went through their own shutdown (and LeakSanitizer's
# check); the rest were killed by their test, or after 10 s.
logs=$(find "$DIRBRIDGE_TEST_TMP" \( -name cloud.log -o -name connector.log \) | wc -l)
stopped=$(find "$DIRBRIDGE_TEST_TMP" \( -name cloud.log -o -name connector.log \) \
            -exec grep -l 'event=stopped' {} + 2>/dev/null | wc -l)
echo "services leak-checked at exit: $stopped of $logs"
scan_secrets "$DIRBRIDGE_TEST_TMP" || status=1
if [ $status -eq 0 ]; then rm -rf "$DIRBRIDGE_TEST_TMP"; fi
exit $status
