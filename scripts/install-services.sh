#!/usr/bin/env bash
# Installs the PostgreSQL 15 server and redis-server with apt where they are missing (Debian/Ubuntu,
# as root). Nothing is started or enabled: scripts/with-services.ts runs throwaway instances.
set -euo pipefail

missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || [ -n "${PG_BIN_DIR:-}" ] || missing+=(postgresql-15)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-services: PostgreSQL 15 and redis-server are installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-services: missing ${missing[*]}; install them (as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-services: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# A policy-rc.d stops the packages from starting system-wide services we do not use.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-services: done"
