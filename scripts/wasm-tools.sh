#!/usr/bin/env bash
# Installs the pinned browser toolchain only when a tool is missing or of another version:
#   - wasm32-unknown-unknown Rust target
#   - wasm-bindgen-cli  = the wasm-bindgen version pinned in wasm/Cargo.toml and Cargo.lock
#   - wasm-pack         built from crates.io (the npm package downloads a binary and fails offline)
#   - Debian chromium (headless end-to-end test); no binaryen: wasm-opt is off (docs/BROWSER.md)
#   - playwright-core from npm (drives /usr/bin/chromium; never `npx playwright install`)
# Cargo builds are niced: the machine has two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130
WASM_PACK_VERSION=0.15.1
TOOLS_TARGET_DIR=${TOOLS_TARGET_DIR:-${CARGO_TARGET_DIR:-target}/tools}

have_version() { # have_version CMD VERSION: CMD --version mentions VERSION
    command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q -- " $2"
}

# `cargo install --locked` first (the crate's own lock file); if the registry no longer serves a version that
# lock names, fall back to a fresh resolution of the same pinned crate version.
cargo_install() { # cargo_install CRATE VERSION
    local start=$SECONDS
    nice -n 10 cargo install "$1" --version "$2" --locked --target-dir "$TOOLS_TARGET_DIR/$1" ||
        nice -n 10 cargo install "$1" --version "$2" --target-dir "$TOOLS_TARGET_DIR/$1"
    echo "installed $1 $2 in $((SECONDS - start)) s"
}

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

if ! grep -q "version = \"=$WASM_BINDGEN_VERSION\"\|\"=$WASM_BINDGEN_VERSION\"" wasm/Cargo.toml; then
    echo "wasm/Cargo.toml does not pin wasm-bindgen =$WASM_BINDGEN_VERSION; update both together" >&2
    exit 1
fi
have_version wasm-bindgen "$WASM_BINDGEN_VERSION" || cargo_install wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
have_version wasm-pack "$WASM_PACK_VERSION" || cargo_install wasm-pack "$WASM_PACK_VERSION"

apt_pkgs=()
[ -x /usr/bin/chromium ] || apt_pkgs+=(chromium)
# wasm-opt stays off: Debian binaryen 108 emits a module Chromium rejects (docs/BROWSER.md).
if [ ${#apt_pkgs[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_pkgs[@]}"
fi

if [ ! -d web-demo/e2e/node_modules/playwright-core ]; then
    (cd web-demo/e2e && npm ci --no-audit --no-fund)
fi
