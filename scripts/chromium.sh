#!/usr/bin/env bash
# Installs Debian's `chromium` package when `CHROMIUM_BIN` (default /usr/bin/chromium) is
# missing: the browser the browser tests drive (Playwright's own download cannot work here).
set -euo pipefail
if [ ! -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ]; then
  echo "installing Debian's chromium"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
