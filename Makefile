# mtproto-proxy: build, test and operate the Bun re-implementation of Telegram's MTProxy.
# Every target installs what it needs (a pinned Bun, the locked packages) on a fresh machine.

BUN_VERSION := 1.4.5
BIN := dist/mtproto-proxy
SOURCES := $(shell find src -name '*.ts' 2>/dev/null) package.json bun.lock Makefile
# Baked into the version string (usage line 2 and the `version` stat), as C bakes its commit.
BUILD_COMMIT := $(shell git log -1 --pretty=format:%H 2>/dev/null || echo unknown)
BUILD_TIME := $(shell LC_ALL=C date '+%b %e %Y %H:%M:%S')

.PHONY: all deps build test typecheck run smoke stability bench docker clean

all: build

# Install the pinned Bun when it is missing or another version, then the locked packages.
deps: node_modules/.installed
node_modules/.installed: package.json bun.lock
	@scripts/ensure-bun.sh $(BUN_VERSION)
	bun install --frozen-lockfile
	@touch $@

build: $(BIN)
# --no-compile-autoload-*: a compiled Bun binary otherwise reads .env and bunfig.toml from whatever
# directory it is started in, and runs bunfig's `preload` scripts: code execution from the cwd.
$(BIN): node_modules/.installed $(SOURCES)
	@mkdir -p dist
	bun build --compile --no-compile-autoload-dotenv --no-compile-autoload-bunfig --define 'MTPROXY_BUILD_COMMIT="$(BUILD_COMMIT)"' --define 'MTPROXY_BUILD_TIME="$(BUILD_TIME)"' --outfile $(BIN) src/main.ts

typecheck: deps
	bun x tsc --noEmit

# What CI runs: typecheck, build, then every test (unit and compiled-binary) with one closing line.
test: deps
	@scripts/test.sh

run: build
	@scripts/run.sh

smoke: build
	@scripts/smoke.sh

stability: build
	@scripts/stability.sh

bench: build
	@scripts/bench.sh

docker:
	docker build -f docker/Dockerfile -t mtproto-proxy .

clean:
	rm -rf dist node_modules
