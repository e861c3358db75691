#!/usr/bin/env bash
# Installs the Debian packages the app's tests and local network use, when absent:
# Chromium (the e2e browser) and PostgreSQL (the server's second storage backend).
# Needs root (or sudo). Safe to run again: it installs only what is missing.
set -euo pipefail
packages=(chromium postgresql openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${packages[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system packages missing: ${missing[*]}; run this script as root (sudo $0)" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
