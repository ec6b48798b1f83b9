#!/usr/bin/env bash
# Benchmarks: sets up its own slapd (slapadd -q), cloud_svc and connector_svc
# on loopback, measures each figure against a floor taken in the same run,
# prints the table, and writes JSON to the file named as the first argument.
#   tests/bench/run.sh results.json [--users N --sessions N ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-bench.json}
shift || true
deploy/setup.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DDIRBRIDGE_TESTS=ON >/dev/null
cmake --build build-release -j2 --target dirbridge_bench cloud_svc connector_svc
ulimit -n 262144 2>/dev/null || ulimit -n "$(ulimit -Hn)"
export DIRBRIDGE_TEST_TMP=$(mktemp -d /tmp/dirbridge-bench-XXXXXX)
build-release/tests/bench/dirbridge_bench --json "$out" "$@"
rm -rf "$DIRBRIDGE_TEST_TMP"
echo "JSON written to $out"
