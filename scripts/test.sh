#!/usr/bin/env bash
# The project's one test command (make test, CI): strict typecheck, compile the binary, run every
# bun test file with MTPROXY_BIN pointing at the binary, and end with `N passed, N failed`
# computed from the real runs (a failed typecheck or build counts as one failure).
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "== typecheck"
if bun x tsc --noEmit; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== build"
if make --no-print-directory build >/dev/null; then
  passed=$((passed + 1))
  export MTPROXY_BIN="$PWD/dist/mtproto-proxy"
else
  failed=$((failed + 1))
  echo "build failed: binary tests run from source" >&2
fi

echo "== bun test"
bun test --timeout 60000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
p=$(grep -E '^ *[0-9]+ pass$' "$log" | tail -1 | tr -dc 0-9)
f=$(grep -E '^ *[0-9]+ fail$' "$log" | tail -1 | tr -dc 0-9)
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
# A crashed runner prints no counts: count it as a failure rather than as nothing.
if [ "$status" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
