#!/bin/sh
# Registers once (key and CA hash from the bootstrap volume), then runs.
set -eu
STATE=/var/lib/dirbridge-connector/state
if [ ! -f "$STATE/identity" ]; then
  connector_svc register --cloud "${CLOUD_TUNNEL:-cloud:50052}" \
    --key_file /bootstrap/registration.key --ca_sha256 "$(cat /bootstrap/ca_sha256)" \
    --state_dir "$STATE"
fi
exec connector_svc run --config /etc/dirbridge/connector.yaml
