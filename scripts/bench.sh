#!/usr/bin/env bash
# make bench: prints throughput tables. Builds nothing itself (make builds dist/ first); each
# section is one bench script. Append end-to-end sections (through dist/mtproto-proxy) below.
# BENCH_ROW_MS bounds the time spent per measured row (default 800 ms).
set -euo pipefail
cd "$(dirname "$0")/.."

section() {
  echo
  echo "== $1"
}

section "crypto primitives (bench/crypto.ts)"
bun bench/crypto.ts

if [ -f bench/io.ts ]; then
  section "io building blocks (bench/io.ts)"
  bun bench/io.ts
fi

# End-to-end benches go here, e.g.:
# section "relay through the binary"; MTPROXY_BIN="$PWD/dist/mtproto-proxy" bun bench/relay.ts
