#!/usr/bin/env bash
# Installs the pinned Bun from the npm registry when bun is missing or another version.
set -euo pipefail
want="$1"
have="$(bun --version 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  echo "installing bun@$want (found: ${have:-none})" >&2
  npm install -g "bun@$want" >&2
  hash -r
fi
bun --version >/dev/null
