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
  postgresql libpq-dev
  systemd docker-compose
  samba samba-ad-dc samba-ad-provision winbind krb5-user ldb-tools
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Samba's packages start smbd, nmbd, winbind and samba from their
  # postinst (invoke-rc.d) where nothing forbids it: the tests start their
  # own DC on 127.0.0.1, and a system one would hold its ports. A
  # policy-rc.d that denies every start does, for this install only.
  policy=/usr/sbin/policy-rc.d
  own_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; own_policy=1
  fi
  # Noninteractive: slapd's and krb5-user's postinst would otherwise ask
  # for an admin password and a realm.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$own_policy" ]; then rm -f "$policy"; fi
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
