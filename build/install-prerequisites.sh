#!/usr/bin/env bash
# Installs what the build, the demo and the tests need on a fresh Debian 12 machine that has
# only the .NET SDK. Safe to run again: every step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Said once, before the first change to the system, since sudo may ask for a password.
announced_root=0
announce_root() {
  if [ "$announced_root" -eq 1 ]; then return; fi
  if [ "$(id -u)" -eq 0 ]; then log "installing system packages with apt-get (as root)"
  else log "installing system packages with apt-get as root, through sudo (it may ask for your password)"; fi
  announced_root=1
}

# Debian 12 ships Valkey only in bookworm-backports. The suite goes on the same mirror as the
# machine's own Debian sources, read at run time, so no host name lives in this repository.
debian_mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
  fi
  printf '%s' "$uri"
}

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
}

install_valkey() {
  if command -v valkey-server >/dev/null 2>&1 && command -v valkey-cli >/dev/null 2>&1; then
    return
  fi
  announce_root
  log "installing valkey-server and valkey-tools from bookworm-backports"
  local list=/etc/apt/sources.list.d/monarchlogs-backports.list
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    local mirror
    mirror=$(debian_mirror)
    if [ -z "$mirror" ]; then
      echo "install-prerequisites: cannot find the Debian mirror in the apt sources" >&2
      exit 1
    fi
    echo "deb $mirror bookworm-backports main" | as_root tee "$list" >/dev/null
    apt_updated=0
  fi
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports valkey-server valkey-tools >/dev/null
  # The package starts a system-wide server; the project never uses it, so keep it out of the way.
  if command -v systemctl >/dev/null 2>&1; then as_root systemctl disable --now valkey-server >/dev/null 2>&1 || true; fi
  as_root service valkey-server stop >/dev/null 2>&1 || true
}

install_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  announce_root
  log "installing chromium (for the web viewer's browser tests)"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
}

# The TLS tests make a throwaway certificate authority with the openssl command.
install_openssl() {
  if command -v openssl >/dev/null 2>&1; then return; fi
  announce_root
  log "installing openssl (for the TLS tests' throwaway certificates)"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
}

restore_dotnet_tools() {
  log "restoring dotnet tools (PowerShell 7.6.9)"
  dotnet tool restore >/dev/null
}

want="${1:-all}"
install_valkey
if [ "$want" = "all" ]; then install_chromium; install_openssl; fi
restore_dotnet_tools
log "prerequisites ready"
