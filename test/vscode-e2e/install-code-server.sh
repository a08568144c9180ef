#!/usr/bin/env bash
# Idempotent installer for the real-VS-Code e2e environment:
#   - Debian packages: chromium (driven by playwright-core) and the headers code-server's
#     native modules compile against;
#   - Node 24 from the npm registry (code-server 4.139 refuses older Node);
#   - code-server itself, cached under ~/.cache keyed by version so only a fresh machine
#     pays the ~5 minute native build.
# Prints nothing but progress to stderr; the cache directory layout is what run-e2e.mjs reads.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE_MAJOR="${CAJAL_E2E_NODE_MAJOR:-24}"
CACHE_ROOT="${CAJAL_E2E_CACHE:-$HOME/.cache/cajal-vscode-e2e}"
CS_DIR="$CACHE_ROOT/code-server-$CODE_SERVER_VERSION"

log() { echo "[install-code-server] $*" >&2; }

apt_packages=(chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

NODE_BIN="$(bash "$(dirname "$0")/../../scripts/node-from-npm.sh" "$NODE_MAJOR")"
NODE_DIR="$(dirname "$(dirname "$NODE_BIN")")"
log "node: $("$NODE_BIN" --version)"

ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
if [ ! -f "$CS_DIR/.complete" ]; then
  log "installing code-server $CODE_SERVER_VERSION into $CS_DIR (several minutes on a fresh machine)"
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  echo '{"name":"code-server-cache","private":true}' > "$CS_DIR/package.json"
  # The machine's npm config may point nodedir at Node 20's headers; native modules must be
  # built against the Node that will run code-server.
  ( cd "$CS_DIR" && PATH="$(dirname "$NODE_BIN"):$PATH" \
      npm_config_nodedir="$NODE_DIR" \
      npm install --foreground-scripts --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >&2 )
  [ -f "$ENTRY" ] || { log "code-server entry point missing after install: $ENTRY"; exit 1; }
  touch "$CS_DIR/.complete"
fi
log "code-server ready: $ENTRY"
# Machine-readable result for callers.
echo "{\"node\":\"$NODE_BIN\",\"entry\":\"$ENTRY\",\"chromium\":\"$(command -v chromium)\"}"
