#!/usr/bin/env bash
# Installs everything dirbridge needs to build, test and run a local stack on
# Debian 12, as root. Safe to run again: it installs only what is missing.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libldap2-dev libssl-dev libsqlite3-dev libyaml-cpp-dev libspdlog-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  slapd ldap-utils sqlite3 openssl python3 python3-cryptography
  systemd docker-compose
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # slapd's postinst would otherwise ask for an admin password.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# buf (a grpcurl equivalent) is only needed by the local stack; it comes
# from npm. The test command does not need it (deploy/setup.sh --with-buf).
if [ "${1:-}" = "--with-buf" ] && ! command -v buf >/dev/null 2>&1; then
  if ! command -v npm >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  echo "setup: installing buf (npm @bufbuild/buf)"
  npm install -g --silent @bufbuild/buf >/dev/null 2>&1
  buf --version >/dev/null
fi
