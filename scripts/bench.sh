#!/usr/bin/env bash
# make bench: prints throughput tables. Builds nothing itself (make builds dist/ first). Sections:
# crypto and io building blocks, then end to end through the compiled binary: middle-end mode with
# the fake ME (ours, and the C MTProxy side by side when MTPROXY_C_BIN names its binary), the same in
# fake TLS (ee; needs to listen on 127.0.0.1:443, skipped otherwise) and direct mode with a fake DC.
# Loopback only; every child is killed by the bench that started it.
# BENCH_ROW_MS bounds the time per crypto/io row (default 800 ms); BENCH_SECONDS the time per
# end-to-end row (default 4); BENCH_IDLE_CLIENTS the big idle-client count (default 10000).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${MTPROXY_BIN:-$PWD/dist/mtproto-proxy}"

section() {
  echo
  echo "== $1"
}

# Each side of 10,000 idle clients holds 10,000 descriptors: raise the soft limit up to the hard one.
want=$(( ${BENCH_IDLE_CLIENTS:-10000} + 2000 ))
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then
  ulimit -n "$want" 2>/dev/null || true
else
  ulimit -n "$hard" 2>/dev/null || true
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  echo "note: open-file limit is $(ulimit -n) (hard $hard); idle-client rows above that are skipped"
fi

section "crypto primitives (bench/crypto.ts)"
bun bench/crypto.ts

section "io building blocks (bench/io.ts)"
bun bench/io.ts

section "end to end, middle-end mode (bench/middle.ts)"
if [ -n "${MTPROXY_C_BIN:-}" ] && [ ! -x "$MTPROXY_C_BIN" ]; then
  echo "MTPROXY_C_BIN=$MTPROXY_C_BIN is not an executable; running ours alone"
  unset MTPROXY_C_BIN
fi
bun bench/middle.ts --bin="$BIN"

section "end to end, fake TLS (ee) (bench/middle-ee.ts)"
bun bench/middle-ee.ts --bin="$BIN"

section "end to end, direct mode (bench/direct.ts)"
bun bench/direct.ts --bin="$BIN" --seconds="${BENCH_SECONDS:-4}"
