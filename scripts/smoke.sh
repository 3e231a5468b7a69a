#!/usr/bin/env bash
# make smoke: start the compiled binary in --direct mode (single process, then -M 2), wait for the
# `main loop` line and /stats, check SIGUSR1 reopens -l, SIGTERM exits 0 and nothing is left behind.
# Every wait is bounded; prints PASS/FAIL lines and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
BIN=${MTPROXY_BIN:-dist/mtproto-proxy}
[ -x "$BIN" ] || { echo "FAIL: $BIN not built (run make build)"; exit 1; }

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

free_port() {
  # a port nothing listens on, from the kernel's ephemeral range
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

wait_for() { # wait_for <seconds> <command...>: true once the command succeeds
  local end=$((SECONDS + $1)); shift
  while [ "$SECONDS" -lt "$end" ]; do "$@" && return 0; sleep 0.1; done
  return 1
}

children_of() { cat "/proc/$1/task/$1/children" 2>/dev/null; }
alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

WORK=$(mktemp -d)
trap 'for p in $(cat "$WORK"/pids 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
USER_ARGS=()
[ "$(id -u)" = 0 ] && USER_ARGS=(-u root)

run_case() { # run_case <name> <workers>
  local name=$1 workers=$2 port stats log err pid kids
  port=$(free_port); stats=$(free_port)
  log="$WORK/$name.log"; err="$WORK/$name.stderr"
  : >"$err" # exists before the first readiness poll, whatever the scheduling
  "$BIN" --direct -S "$SECRET" -H "$port" --http-stats -p "$stats" -M "$workers" -l "$log" -v "${USER_ARGS[@]}" 2>"$err" &
  pid=$!
  echo "$pid" >>"$WORK/pids"
  local want=1; [ "$workers" -gt 0 ] && want=$((workers + 1))
  if wait_for 10 sh -c "[ \$(grep -c 'main loop' '$err') -ge $want ]"; then pass "$name: $want × main loop"; else fail "$name: not ready"; cat "$err"; return; fi
  kids=$(children_of "$pid")
  for k in $kids; do echo "$k" >>"$WORK/pids"; done
  if [ "$workers" -gt 0 ]; then
    if [ "$(echo "$kids" | wc -w)" -eq "$workers" ]; then pass "$name: $workers workers running"; else fail "$name: workers: '$kids'"; fi
  fi
  if ! command -v curl >/dev/null; then echo "SKIP: $name: /stats (no curl)"
  elif wait_for 5 sh -c "curl -fsS 'http://127.0.0.1:$stats/stats' 2>/dev/null | grep '^pid	$pid\$' >/dev/null"; then pass "$name: /stats answers"; else fail "$name: /stats"; fi
  kill -USR1 "$pid"
  if wait_for 5 sh -c "grep -q 'logs reopened\.' '$log' 2>/dev/null"; then pass "$name: SIGUSR1 reopened $log"; else fail "$name: no reopen marker in $log"; fi
  kill -TERM "$pid"
  local code=none
  if wait_for 6 sh -c "! kill -0 $pid 2>/dev/null"; then wait "$pid"; code=$?; fi
  if [ "$code" = 0 ]; then pass "$name: SIGTERM → exit 0"; else fail "$name: SIGTERM → exit $code"; kill -9 "$pid" 2>/dev/null; fi
  local left=""
  for k in $kids; do alive "$k" && left="$left $k"; done
  if [ -z "$left" ]; then pass "$name: no leftover process"; else fail "$name: leftover$left"; fi
}

run_case single 0
run_case workers 2

if [ "$failures" -eq 0 ]; then echo "smoke: all passed"; else echo "smoke: $failures failed"; fi
exit $((failures > 0))
