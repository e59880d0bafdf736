#!/usr/bin/env bash
# Constant-time taint check of the release prover (docs/CONSTANT_TIME.md): builds ct-check in release mode
# and runs it under valgrind memcheck with the secrets marked undefined. Fails on any secret-dependent
# branch, cmov or memory index ("Conditional jump or move depends on uninitialised value(s)", "Use of
# uninitialised value of size N"). Then runs `ct-check leak` (deliberately leaky code) and fails unless
# valgrind reports it, so the check is shown to be able to fail.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
    echo "ct-check: installing valgrind"
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y valgrind
fi
valgrind --version

# Line tables with inline info (no codegen change) so that valgrind can name the inlined function of each
# report and match the suppressions of documented public branches.
export CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
cargo build --release -p ct-check
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/ct-check"
supp="ct-check/public-branches.supp"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

run() {
    valgrind --error-exitcode=1 --track-origins=yes --suppressions="$supp" --log-file="$log" "$bin" "$@"
}

echo "== ct-check under valgrind (gaussian, reject, slack, whole proof)"
status=0
run || status=$?
if [ "$status" -ne 0 ] || grep -qE "Conditional jump or move depends on uninitialised|Use of uninitialised value of size" "$log"; then
    cat "$log"
    echo "ct-check: FAILED: secret-dependent branch or index (valgrind exit $status)"
    exit 1
fi
grep -E "ERROR SUMMARY|suppressed:" "$log"

echo "== ct-check leak (must be caught)"
status=0
run leak || status=$?
if [ "$status" -eq 0 ] || ! grep -q "Conditional jump or move depends on uninitialised" "$log"; then
    cat "$log"
    echo "ct-check: FAILED: the deliberately leaky code was not reported, the check is blind"
    exit 1
fi
grep -E "ERROR SUMMARY" "$log"
echo "ct-check: leaky code reported as expected (valgrind exit $status)"
echo "ct-check: OK"
