#!/usr/bin/env bash
# Installs Debian's Chromium with apt where missing, for the admin page's browser tests
# (test/browser, driven by playwright-core). Never `npx playwright install`: no browser downloads.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "install-chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  # The browser tests then skip, saying why; everything else still runs.
  echo "install-chromium: /usr/bin/chromium is missing and apt-get is not usable here; browser tests will be skipped" >&2
  exit 0
fi
echo "install-chromium: installing chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "install-chromium: done"
