#!/usr/bin/env bash
# Builds the `zkfl` Python package (PyO3 + maturin, one abi3 wheel) into a virtualenv and runs its tests:
# the bindings against real `zkfl serve` processes and the Flower example end to end on Flower's deployment
# engine (docs/PYTHON.md). Reuses the release `zkfl` binary of the workspace's target directory.
#
#   bash scripts/python-test.sh              # everything
#   bash scripts/python-test.sh -k bindings  # extra arguments go to pytest
#
# ZKFL_VENV chooses the virtualenv (default: .venv in the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
venv="${ZKFL_VENV:-$root/.venv}"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
# Seconds per phase in the log (the CI time budget, docs/PYTHON.md).
phase() { echo "== $1 (at ${SECONDS} s)"; }

phase "virtualenv $venv (python/requirements-dev.txt)"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r python/requirements-dev.txt

phase "zkfl binary (release; the same build as scripts/soak.sh, so a no-op after it)"
cargo build --release -p zkfl-aggregator --bin zkfl

phase "wheel (maturin build --release)"
rm -f "$target"/wheels/zkfl-*.whl
(cd python && "$venv/bin/maturin" build --release --interpreter "$venv/bin/python" -o "$target/wheels")
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
    "$target"/wheels/zkfl-*.whl

phase "pytest"
cd python/tests
ZKFL_BIN="$target/release/zkfl" PATH="$venv/bin:$PATH" "$venv/bin/python" -m pytest -q "$@"
phase "done"
