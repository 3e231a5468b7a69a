#!/usr/bin/env bash
# `make run`: a working proxy on the embedded default — direct-to-DC mode (no downloaded files),
# a generated secret kept in .run/secret between runs, client port 8443 and stats on
# 127.0.0.1:8888. The proxy prints where it listens and the tg:// / t.me links.
# Override with PORT=, STATS_PORT=, and pass extra flags after `--`: make run ARGS="-D example.com".
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${BIN:-dist/mtproto-proxy}"
PORT="${PORT:-8443}"
STATS_PORT="${STATS_PORT:-8888}"
RUN_DIR="${RUN_DIR:-.run}"
mkdir -p "$RUN_DIR"
if [ ! -s "$RUN_DIR/secret" ]; then
  "$BIN" generate-secret > "$RUN_DIR/secret"
  echo "generated a new secret in $RUN_DIR/secret"
fi

args=(--direct -H "$PORT" -p "$STATS_PORT" --http-stats --mtproto-secret-file "$RUN_DIR/secret")
# Like C, the proxy refuses to keep root privileges: drop to nobody after binding.
if [ "$(id -u)" = 0 ]; then args+=(-u nobody); fi

echo "starting: $BIN ${args[*]} ${ARGS:-}"
echo "stats:    curl http://127.0.0.1:$STATS_PORT/stats   (Ctrl-C stops the proxy)"
# shellcheck disable=SC2086
exec "$BIN" "${args[@]}" ${ARGS:-}
