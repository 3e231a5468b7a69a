#!/usr/bin/env bash
# Container entrypoint: the fork's docker/run.sh contract (config-and-cli.md §C.6): same env, messages,
# exit codes, /data rewrite and final command line. Beyond it: the proxy secret is downloaded (we cannot
# ship Telegram's), a download failure explains DIRECT=1, and DIRECT=1 runs `--direct` (README-docker.md).
#
# Env: DEBUG (set -x), WORKERS (-M, default 2), SECRET (comma-separated 32-hex list), TAG (32-hex ad tag),
# DIRECT (1/true/yes/on: relay to Telegram DCs directly). Paths default to the fork's and exist as env only
# so tests can point them elsewhere: DATA_DIR, CONFIG_DIR, PROXY_BIN. `curl` and `ip` come from PATH.
set -euo pipefail

if [ -n "${DEBUG:-}" ]; then set -x; fi

DATA_DIR="${DATA_DIR:-/data}"
CONFIG_DIR="${CONFIG_DIR:-/etc/telegram}"
PROXY_BIN="${PROXY_BIN:-/usr/local/bin/mtproto-proxy}"
WORKERS="${WORKERS:-2}"
SECRET="${SECRET:-}"
TAG="${TAG:-}"

SECRET_FILE="$DATA_DIR/secret"
SECRET_CMD_FILE="$DATA_DIR/secret_cmd"
CONFIG="$CONFIG_DIR/backend.conf"
# The fork's image ships getProxySecret under this name; we download it there so the command line matches.
PROXY_SECRET="$CONFIG_DIR/hello-explorers-how-are-you-doing"
CONFIG_URL="https://core.telegram.org/getProxyConfig"
PROXY_SECRET_URL="https://core.telegram.org/getProxySecret"
MY_IP_URL="https://digitalresistance.dog/myIp"
MAX_SECRETS=128
HEX32='^[[:xdigit:]]{32}$'
SECRET_LIST="^[[:xdigit:]]{32}(,[[:xdigit:]]{32}){0,$((MAX_SECRETS - 1))}\$"
BAD_SECRET_TAIL='should be 32 hex chars (for 16 bytes) for every secret; secrets should be comma-separated.'

direct_mode=0
case "${DIRECT:-}" in
  "" | 0 | [Ff][Aa][Ll][Ss][Ee] | [Nn][Oo] | [Oo][Ff][Ff]) ;;
  *) direct_mode=1 ;;
esac

# Reads `$1` as the fork does: `#` starts a comment, commas and blanks separate tokens, each token is
# 32 hex digits (lower-cased), 1..128 of them. Sets SECRET to the comma-joined list.
load_secrets_from_file() {
  local file="$1" line token parsed="" count=0
  local -a tokens
  if [ ! -f "$file" ]; then
    echo "[F] Secret file '$file' does not exist."
    return 1
  fi
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%%#*}"
    IFS=$' \t' read -r -a tokens <<<"${line//,/ }"
    for token in ${tokens[@]+"${tokens[@]}"}; do
      if ! [[ $token =~ $HEX32 ]]; then
        echo "[F] Bad secret format in '$file': '$token'. Should be 32 hex chars."
        return 1
      fi
      parsed="${parsed:+$parsed,}${token,,}"
      count=$((count + 1))
      if [ "$count" -gt "$MAX_SECRETS" ]; then
        echo "[F] Too many secrets in '$file'. Can use between 1 and $MAX_SECRETS secrets."
        return 1
      fi
    done
  done <"$file"
  if [ "$count" -eq 0 ]; then
    echo "[F] Secret file '$file' does not contain secrets."
    return 1
  fi
  SECRET="$parsed"
}

direct_hint() {
  echo "[!] To run without Telegram's proxy configuration and secret, set DIRECT=1: the proxy then"
  echo "[!] relays clients to Telegram DCs directly (no ad tag). Example: docker run -e DIRECT=1 ..."
}

# getProxySecret into PROXY_SECRET; a copy already there (mounted, or from an earlier start) is kept
# when the download fails. Written via a temporary file so a failed download never truncates it.
download_proxy_secret() {
  local tmp="$PROXY_SECRET.download"
  if curl -s -f "$PROXY_SECRET_URL" -o "$tmp" && [ -s "$tmp" ]; then
    mv -f "$tmp" "$PROXY_SECRET"
    return 0
  fi
  rm -f "$tmp"
  if [ -s "$PROXY_SECRET" ]; then
    echo "[!] Cannot download proxy secret from Telegram servers; using the existing $PROXY_SECRET."
    return 0
  fi
  echo "[F] Cannot download proxy secret from Telegram servers."
  direct_hint
  exit 2
}

# The `src` address of the route to 8.8.8.8 (empty when there is none).
detect_internal_ip() {
  local line
  while IFS= read -r line; do
    [[ $line =~ ^8\.8\.8\.8[[:space:]] ]] || continue
    if [[ $line =~ src[[:space:]]+([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+) ]]; then
      printf '%s\n' "${BASH_REMATCH[1]}"
      return 0
    fi
  done < <(ip -4 route get 8.8.8.8 || true)
}

mkdir -p "$DATA_DIR" >/dev/null 2>&1 || true

echo "####"
echo "#### Telegram Proxy"
echo "####"
echo

if [ -s "$SECRET_FILE" ]; then
  echo "[+] Using secrets from $SECRET_FILE."
  load_secrets_from_file "$SECRET_FILE" || exit 1
else
  if [ -z "$SECRET" ]; then
    echo "[F] $SECRET_FILE is empty or missing and SECRET env var is not set."
    exit 1
  fi
  echo "[+] Using secrets from SECRET env."
  if ! [[ $SECRET =~ $SECRET_LIST ]]; then
    echo "[F] Bad SECRET format: $BAD_SECRET_TAIL"
    exit 1
  fi
  SECRET="${SECRET,,}"
fi

if ! [[ $SECRET =~ $SECRET_LIST ]]; then
  echo "[F] Bad secret format: $BAD_SECRET_TAIL"
  exit 1
fi
# Normalise the file the proxy reads (comments are lost, as in the fork). A read-only mount is left as
# it is: the shell reports the failed write on stderr and the proxy reads the original.
printf '%s\n' "$SECRET" >"$SECRET_FILE" || true
printf '%s\n' "-- --mtproto-secret-file $SECRET_FILE" >"$SECRET_CMD_FILE" || true

if [ -n "$TAG" ]; then
  echo "[+] Using the explicitly passed tag: '$TAG'."
fi
tag_args=()
if [ -n "$TAG" ]; then
  if [[ $TAG =~ $HEX32 ]]; then
    TAG="${TAG,,}"
    tag_args=(-P "$TAG")
  else
    echo '[!] Bad tag format: should be 32 hex chars (for 16 bytes).'
    echo '[!] Continuing.'
  fi
fi

if [ "$direct_mode" = 1 ]; then
  echo "[+] DIRECT is set: not downloading Telegram's proxy configuration; relaying to Telegram DCs directly."
  if [ "${#tag_args[@]}" -gt 0 ]; then
    echo "[!] The tag is not passed in direct mode: ad tags need Telegram's middle proxies."
    tag_args=()
  fi
else
  mkdir -p "$CONFIG_DIR" >/dev/null 2>&1 || true
  # No -f, as in the fork: only a transport failure counts.
  if ! curl -s "$CONFIG_URL" -o "$CONFIG"; then
    echo '[F] Cannot download proxy configuration from Telegram servers.'
    direct_hint
    exit 2
  fi
  download_proxy_secret
fi

IP="$(curl -s -4 "$MY_IP_URL" || true)"
INTERNAL_IP=""
if [ "$direct_mode" = 0 ]; then
  INTERNAL_IP="$(detect_internal_ip)"
fi

if [ -z "$IP" ]; then
  echo "[F] Cannot determine external IP address."
  exit 3
fi
if [ "$direct_mode" = 0 ] && [ -z "$INTERNAL_IP" ]; then
  echo "[F] Cannot determine internal IP address."
  exit 4
fi

echo "[*] Final configuration:"
i=1
IFS=',' read -r -a secrets <<<"$SECRET"
for s in "${secrets[@]}"; do
  echo "[*]   Secret $i: $s"
  echo "[*]   tg:// link for secret $i auto configuration: tg://proxy?server=${IP}&port=443&secret=${s}"
  echo "[*]   t.me link for secret $i: https://t.me/proxy?server=${IP}&port=443&secret=${s}"
  i=$((i + 1))
done
if [ -n "$TAG" ]; then echo "[*]   Tag: $TAG"; else echo "[*]   Tag: no tag"; fi
echo "[*]   External IP: $IP"
echo "[*]   Make sure to fix the links in case you run the proxy on a different port."
echo
echo '[+] Starting proxy...'
if [ "${RUN_SH_NO_SLEEP:-}" != 1 ]; then sleep 1; fi

if [ "$direct_mode" = 1 ]; then
  exec "$PROXY_BIN" -p 2398 --http-stats -H 443 -M "$WORKERS" -C 60000 -u root --direct \
    --mtproto-secret-file "$SECRET_FILE"
fi
exec "$PROXY_BIN" -p 2398 --http-stats -H 443 -M "$WORKERS" -C 60000 --aes-pwd "$PROXY_SECRET" -u root \
  "$CONFIG" --allow-skip-dh --nat-info "$INTERNAL_IP:$IP" --mtproto-secret-file "$SECRET_FILE" \
  ${tag_args[@]+"${tag_args[@]}"}
