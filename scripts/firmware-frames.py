#!/usr/bin/env python3
"""Stack frame of every function in a Thumb-2 image, from its prologue (docs/FIRMWARE.md, "Where the stack goes").

    python3 scripts/firmware-frames.py ELF [COUNT] [--json]

Reads `llvm-objdump -d` of the image and adds up, in the first instructions of each function, what the
prologue reserves: `push` (4 bytes a register), `vpush` (8 bytes a d-register), `sub sp, #imm` /
`subw sp, sp, #imm`, and `sub sp, rX` with rX loaded by `movw`/`movt` (frames above 4 KiB). `-Z
emit-stack-sizes` would give the same numbers but needs a nightly compiler; this works on the stable image
the device runs. The frame is what one activation holds; the stack peak is the deepest sum of frames along
a call chain (measured on the device by stack painting).
"""
import json
import re
import subprocess
import sys

PROLOGUE = 60  # instructions of a function scanned for its frame


def frames(elf):
    dis = subprocess.run(
        ["llvm-objdump", "-d", "--no-show-raw-insn", "-C", elf],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()
    out, func, seen, regs = {}, None, 0, {}
    for line in dis:
        head = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if head:
            func, seen, regs = head.group(1), 0, {}
            out[func] = 0
            continue
        parts = line.split("\t")
        if func is None or len(parts) < 3:
            continue
        seen += 1
        if seen > PROLOGUE:
            continue
        op, args = parts[1].strip(), parts[2].strip()
        if op in ("push", "push.w"):
            out[func] += 4 * len(args.split(","))
        elif op == "vpush":
            for r in args.strip("{}").split(","):
                r = r.strip()
                if "-" in r:
                    a, b = r.split("-")
                    out[func] += 8 * (int(b.strip()[1:]) - int(a[1:]) + 1)
                else:
                    out[func] += 8
        elif op in ("sub", "sub.w", "subw") and args.startswith("sp"):
            imm = re.search(r"#(\d+)", args)
            out[func] += int(imm.group(1)) if imm else regs.get(args.split(",")[-1].strip(), 0)
        elif op in ("movw", "mov.w", "mov"):
            m = re.match(r"(r\d+|ip|lr), #(\d+)$", args)
            if m:
                regs[m.group(1)] = int(m.group(2))
        elif op == "movt":
            m = re.match(r"(r\d+|ip|lr), #(\d+)$", args)
            if m:
                regs[m.group(1)] = regs.get(m.group(1), 0) + (int(m.group(2)) << 16)
    return out


def short(name):
    """`zkfl_core::zk::prove::Prover<P,_,U>::new` without the hash and the crate's generic noise."""
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    for a, b in (("$LT$", "<"), ("$GT$", ">"), ("$C$", ","), ("$u20$", " "), ("$RF$", "&"),
                 ("$u7b$", "{"), ("$u7d$", "}"), ("$BP$", "*"), ("..", "::")):
        name = name.replace(a, b)
    return name


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[1]) if len(args) > 1 else 25
    top = sorted(frames(args[0]).items(), key=lambda kv: -kv[1])[:count]
    if "--json" in sys.argv:
        print(json.dumps([{"function": short(f), "frame_bytes": s} for f, s in top]))
    else:
        for f, s in top:
            print(f"{s:>9}  {short(f)[:140]}")


if __name__ == "__main__":
    main()
