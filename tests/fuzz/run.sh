#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 30) each, one after another,
# from its committed corpus (tests/fuzz/corpus/TARGET) and dictionary.
# Fails on any crash, leak, sanitizer report or timeout, and prints it; the
# input that did it is kept under the work dir it names. New coverage goes
# to that work dir, never into the committed corpus (README, "Sanitizers
# and fuzzing", says how to keep what a long run finds).
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]   (after tests/sanitize.sh
# built build-sanitize, or with SANITIZE_BUILD_DIR set)
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD_DIR=${SANITIZE_BUILD_DIR:-build-sanitize}
SECONDS_EACH=${1:-30}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(session_frames_fuzzer connector_calls_fuzzer ldap_escape_fuzzer dn_fuzzer
           connector_config_fuzzer sealed_box_fuzzer)
fi
WORK=$(mktemp -d /tmp/dirbridge-fuzz-XXXXXX)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

status=0
for t in "${TARGETS[@]}"; do
  bin="$BUILD_DIR/tests/fuzz/$t"
  if [ ! -x "$bin" ]; then echo "fuzz: $bin is not built"; status=1; continue; fi
  mkdir -p "$WORK/$t/new"
  dict=()
  [ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=(-dict="$ROOT/tests/fuzz/$t.dict")
  t0=$(date +%s)
  # -timeout: one input running longer than this is a hang, and a failure.
  "$bin" -max_total_time="$SECONDS_EACH" -timeout=20 -rss_limit_mb=2560 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="$WORK/$t/" "${dict[@]}" \
    "$WORK/$t/new" "$ROOT/tests/fuzz/corpus/$t" >"$WORK/$t/log" 2>&1
  rc=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$WORK/$t/log" | grep -oE '[0-9]+$' || echo '?')
  cov=$(grep -oE 'cov: [0-9]+' "$WORK/$t/log" | tail -1)
  if [ $rc -ne 0 ]; then
    echo "fuzz: $t FAILED after $(( $(date +%s) - t0 )) s ($runs runs); inputs: $(ls "$WORK/$t"/crash-* "$WORK/$t"/leak-* "$WORK/$t"/timeout-* "$WORK/$t"/oom-* 2>/dev/null | tr '\n' ' ')"
    grep -naE -B2 -A40 'ERROR: |runtime error: |check failed|==ERROR|Test unit written' "$WORK/$t/log" | head -150
    status=1
  else
    echo "fuzz: $t ok, $(( $(date +%s) - t0 )) s, $runs runs, $cov, $(ls "$WORK/$t/new" | wc -l) new inputs"
  fi
done
if [ $status -eq 0 ]; then rm -rf "$WORK"; else echo "fuzz: work dir kept: $WORK"; fi
exit $status
