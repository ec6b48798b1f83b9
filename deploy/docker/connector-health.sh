#!/bin/bash
# The connector image's health check: healthy while its tunnel to the
# cloud is up (dirbridge_tunnel_connected 1 at /metrics). The address is
# the config's metrics_addr (0.0.0.0 read as 127.0.0.1), or
# $DIRBRIDGE_METRICS_ADDR.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
config=${DIRBRIDGE_CONFIG:-/etc/dirbridge/connector.yaml}
addr=${DIRBRIDGE_METRICS_ADDR:-$(sed -n 's/^metrics_addr:[[:space:]]*["'\'']\{0,1\}\([^"'\''[:space:]#]*\).*/\1/p' "$config")}
if [ -z "$addr" ]; then
  echo "no metrics_addr in $config: set it for the health check"; exit 1
fi
host=${addr%:*}; port=${addr##*:}
case "$host" in ""|0.0.0.0|"[::]") host=127.0.0.1 ;; esac
exec 3<>"/dev/tcp/$host/$port"
printf 'GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" >&3
if grep -q '^dirbridge_tunnel_connected 1' <&3; then echo "tunnel connected"; exit 0; fi
echo "tunnel not connected"; exit 1
