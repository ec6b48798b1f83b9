#!/bin/bash
# The connector image's entrypoint.
#   (no arguments)  run with $DIRBRIDGE_CONFIG (default
#                   /etc/dirbridge/connector.yaml); demo stacks only: when a
#                   bootstrap volume at /bootstrap holds a registration key
#                   and the state holds no identity yet, register first.
#   ARGS...         connector_svc ARGS (register, check, keys, --help).
set -euo pipefail
CONFIG=${DIRBRIDGE_CONFIG:-/etc/dirbridge/connector.yaml}
STATE=${DIRBRIDGE_STATE_DIR:-/var/lib/dirbridge-connector/state}
if [ $# -gt 0 ]; then exec connector_svc "$@"; fi
if [ ! -f "$STATE/identity" ] && [ -f /bootstrap/registration.key ]; then
  connector_svc register --cloud "${CLOUD_TUNNEL:-cloud:50052}" \
    --key_file /bootstrap/registration.key --ca_sha256 "$(cat /bootstrap/ca_sha256)" \
    --state_dir "$STATE"
fi
exec connector_svc run --config "$CONFIG"
