#!/usr/bin/env bash
# The clinic device on a Cortex-M4 under QEMU (docs/FIRMWARE.md): lints firmware/cortex-m4 (rustfmt, clippy
# -D warnings), builds it for thumbv7em-none-eabihf, writes a seeded test round (zkfl-firmware-host inputs),
# runs the device on `qemu-system-arm -M mps2-an386` with semihosting, runs the native clinic pipeline on the
# same inputs and seed, compares the sealed submissions byte for byte, and writes target/firmware.json:
#   peak_ram_bytes (statics + painted stack), flash_bytes, instructions (+ per stage, per chunk), chunks,
#   bytes_match_native, the goals and whether they are met, and the largest stack frames of the image
#   (scripts/firmware-frames.py). The 2-chunk run then has a real `zkfl serve` accept a submission the device
#   sealed (aggregator/tests/firmware_device.rs).
#
#   bash scripts/firmware.sh            # CI: 2 chunks (4,000 parameters), a few minutes
#   bash scripts/firmware.sh --full     # the paper's whole update: 108,996 parameters, 54 chunks
#   bash scripts/firmware.sh --enforce  # also fail when peak RAM or flash is above the goal
#
# It always fails when the bytes differ from native or the device fails. The RAM/flash goals
# (≤ 256 KiB RAM, ≤ 512 KiB flash) are reported; they fail the run only with --enforce (or
# ZKFL_FIRMWARE_ENFORCE=1), which CI switches on once the device meets them (docs/FIRMWARE.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

FULL=0
ENFORCE=${ZKFL_FIRMWARE_ENFORCE:-0}
for a in "$@"; do
    case "$a" in
        --full) FULL=1 ;;
        --enforce) ENFORCE=1 ;;
        *) echo "usage: $0 [--full] [--enforce]" >&2; exit 2 ;;
    esac
done

RAM_GOAL=$((256 * 1024))
FLASH_GOAL=$((512 * 1024))
if [ "$FULL" = 1 ]; then DIM=108996; FEATURES=(--features full); else DIM=4000; FEATURES=(); fi
SEED=${ZKFL_FIRMWARE_SEED:-7}

if ! command -v qemu-system-arm >/dev/null 2>&1; then
    echo "firmware: installing qemu-system-arm"
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y qemu-system-arm
fi
qemu-system-arm --version | head -1

HOST_TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
FW_TARGET=${ZKFL_FIRMWARE_TARGET_DIR:-$HOST_TARGET/firmware}
OUT_JSON=$ROOT/target/firmware.json
mkdir -p "$ROOT/target"

# The device crate is its own workspace (built for thumbv7em-none-eabihf only), so the workspace's
# `cargo fmt --all` and `cargo clippy --workspace` do not reach it: lint it here, for both buffer sizes.
echo "== lint: device crate (rustfmt, clippy -D warnings; default and --features full)"
(cd firmware/cortex-m4 && cargo fmt --check && CARGO_TARGET_DIR="$FW_TARGET" cargo clippy --release -- -D warnings \
    && CARGO_TARGET_DIR="$FW_TARGET" cargo clippy --release --features full -- -D warnings)

echo "== build: native host tool, device image (thumbv7em-none-eabihf, release)"
cargo build --release -p zkfl-firmware-host
(cd firmware/cortex-m4 && CARGO_TARGET_DIR="$FW_TARGET" cargo build --release "${FEATURES[@]}")
HOST=$HOST_TARGET/release/zkfl-firmware-host
ELF=$FW_TARGET/thumbv7em-none-eabihf/release/zkfl-firmware-cortex-m4

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$HOST" inputs "$WORK" "$DIM" "$SEED"

echo "== native pipeline (same inputs, same RNG seed)"
t0=$(date +%s.%N)
"$HOST" native "$WORK" "$WORK/native.bin"
t1=$(date +%s.%N)

echo "== device under QEMU (mps2-an386, -icount shift=0)"
(cd "$WORK" && timeout 3600 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic -monitor none \
    -serial none -semihosting-config enable=on,target=native -icount shift=0,align=off,sleep=off \
    -kernel "$ELF") | tee "$WORK/qemu.log"
t2=$(date +%s.%N)
STATS=$(grep '^FWSTATS ' "$WORK/qemu.log" || true)
if [ -z "$STATS" ]; then
    echo "firmware: the device did not finish (no FWSTATS line)" >&2
    exit 1
fi

MATCH=false
if cmp -s "$WORK/native.bin" "$WORK/submission.bin"; then MATCH=true; fi
# Flash: what the image places in the code region (vector table, code, read-only data, .data's load copy).
FLASH=$(size -A "$ELF" | awk '$1==".vector_table"||$1==".text"||$1==".rodata"||$1==".data"{s+=$2} END{print s}')
# Where the stack goes: the largest per-function frames of the image (scripts/firmware-frames.py; needs
# llvm-objdump, Debian package `llvm`: an empty list without it).
FRAMES=$(python3 scripts/firmware-frames.py "$ELF" 12 --json 2>/dev/null || echo '[]')

python3 - "$OUT_JSON" "$STATS" "$FLASH" "$MATCH" "$RAM_GOAL" "$FLASH_GOAL" "$ENFORCE" \
    "$t0" "$t1" "$t2" "$FRAMES" <<'EOF'
import json, sys
out, stats, flash, match, ram_goal, flash_goal, enforce, t0, t1, t2, frames = sys.argv[1:]
native_s, qemu_s = float(t1) - float(t0), float(t2) - float(t1)
kv = dict(x.split("=", 1) for x in stats.split()[1:])
n = {k: int(v) for k, v in kv.items()}
peak = n["static_bytes"] + n["peak_stack_bytes"]
mhz = 168
j = {
    "chunks": n["chunks"],
    "peak_ram_bytes": peak,
    "static_bytes": n["static_bytes"],
    "peak_stack_bytes": n["peak_stack_bytes"],
    "stack_held_across_stages_bytes": n["held_bytes"],
    "peak_stack_by_stage_bytes": {"load_encrypt": n["peak_encrypt"], "prove": n["peak_prove"], "sign_seal": n["peak_seal"]},
    "flash_bytes": int(flash),
    "instructions": n["insn_total"],
    "instructions_encrypt": n["insn_encrypt"],
    "instructions_prove": n["insn_prove"],
    "instructions_sign_seal": n["insn_seal"],
    "instructions_per_chunk": (n["insn_encrypt"] + n["insn_prove"]) // n["chunks"],
    "instruction_counter_check": {"measured": n["calibration_insns"], "expected": n["calibration_expected"]},
    "seconds_at_168mhz_one_cycle_per_instruction": round(n["insn_total"] / (mhz * 1e6), 1),
    "prover_attempts": n["attempts"],
    "envelope_bytes": n["envelope_bytes"],
    "proof_bytes": n["proof_bytes"],
    "bytes_match_native": match == "true",
    "ram_goal_bytes": int(ram_goal),
    "flash_goal_bytes": int(flash_goal),
    "goals_met": peak <= int(ram_goal) and int(flash) <= int(flash_goal),
    "goals_enforced": enforce == "1",
    "wall_seconds": {"native": round(float(native_s), 2), "qemu": round(float(qemu_s), 2)},
    "largest_stack_frames": json.loads(frames),
}
with open(out, "w") as f:
    json.dump(j, f, indent=2)
    f.write("\n")
print(json.dumps(j, indent=2))
EOF

CAL=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["instruction_counter_check"]; print(abs(c["measured"]-c["expected"]) <= 200)' "$OUT_JSON")
if [ "$CAL" != True ]; then
    echo "firmware: the instruction counter is off scale on this QEMU (see instruction_counter_check)" >&2
    exit 1
fi
if [ "$MATCH" != true ]; then
    echo "firmware: the device's submission differs from the native pipeline's" >&2
    exit 1
fi
if [ "$FULL" = 0 ]; then
    echo "== a device-made submission accepted by a real zkfl serve (aggregator/tests/firmware_device.rs)"
    ZKFL_FIRMWARE_ELF="$ELF" cargo test --release -p zkfl-aggregator --test firmware_device -- --ignored
fi
MET=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["goals_met"])' "$OUT_JSON")
if [ "$MET" != True ]; then
    if [ "$ENFORCE" = 1 ]; then
        echo "firmware: above the RAM/flash goals (see $OUT_JSON)" >&2
        exit 1
    fi
    echo "firmware: above the RAM/flash goals (reported, not enforced: docs/FIRMWARE.md)"
fi
echo "firmware: OK ($OUT_JSON)"
