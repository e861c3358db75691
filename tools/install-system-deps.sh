#!/usr/bin/env bash
# Installs the Debian packages the app's tests and local network use, when absent:
# Chromium (the e2e browser), PostgreSQL (the server's second storage backend), OpenSSL, and
# Dovecot (IMAP, POP3, LMTP), Postfix and isync (mbsync) for the legacy-account tests and bench.
# Safe to run again: it installs only what is missing, and needs no privileges when nothing
# is. Run as root it installs directly (containers often have no sudo); run as another
# user it asks sudo itself.
set -euo pipefail
packages=(chromium postgresql openssl dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix isync)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${packages[*]})"
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "system packages missing: ${missing[*]}; installing them needs root, and sudo is not available: run this script as root" >&2
    exit 1
  fi
  as_root=(sudo)
fi
echo "installing: ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
