#!/usr/bin/env python3
"""Runs the Flower example on Flower's deployment engine, as real processes on loopback, or on its
simulation engine.

Deployment (the default): one `flower-superlink`, one `flower-supernode` per clinic (the last clinic
poisons). Simulation (`--engine simulation`, needs Ray: python/requirements-simulation.txt): one
`flower-superlink --simulation` whose federation has `num-supernodes` = clinics simulated SuperNodes (the
ClientApps run in Ray actors; the last partition poisons). Either way the protected run talks to a real
`zkfl serve` with its key holder. Three runs of the same app (`flwr run`):

  plain FedAvg, attacker absent   — the reference
  plain FedAvg, attacker poisons  — what the attack does to FedAvg
  ZKFL-PQ,      attacker poisons  — ZkflFedAvg: the aggregate is what zkfl serve publishes

then prints the test accuracy after every round and the per-round wall times, plain vs protected.
`--check` exits 1 unless the attacker was rejected in every protected round and the protected accuracy is
within 1 point of the reference.

    python examples/flower/run.py                       # 5 clinics, 3 rounds
    python examples/flower/run.py --clinics 3 --rounds 2 --check
    python examples/flower/run.py --engine simulation --check

Needs `zkfl` (the CLI; --zkfl, $ZKFL_BIN, PATH or target/release/zkfl) and the `zkfl` Python package with
`flwr` in the running interpreter's environment (scripts/python-test.sh sets both up).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parent
REPO = APP.parent.parent
#: Clip bound τ: above every honest update of this task (norms ≤ 1.4), far below the attacker's (≥ 14).
NORM_BOUND = 2.0
SCALE = 512
RUNS = [("plain", "absent"), ("plain", "poison"), ("protected", "poison")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_zkfl(given: str | None) -> str:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for cand in (given, os.environ.get("ZKFL_BIN"), shutil.which("zkfl"), str(target / "release/zkfl")):
        if cand and Path(cand).is_file():
            return str(Path(cand).resolve())
    sys.exit("no zkfl binary: build it (cargo build --release --bin zkfl) or pass --zkfl")


def wait_http(url: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > end:
                raise TimeoutError(f"{url} did not come up")
            time.sleep(0.2)


def wait_port(port: int, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > end:
            raise TimeoutError(f"nothing listens on port {port}")
        time.sleep(0.2)


class Processes:
    """Started processes, stopped (SIGTERM, then SIGKILL) in reverse order."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "wb")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.procs.append(p)
        return p

    def stop(self, p: subprocess.Popen) -> None:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self) -> None:
        for p in reversed(list(self.procs)):
            self.stop(p)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clinics", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--engine", choices=["deployment", "simulation"], default="deployment",
                    help="Flower's deployment engine (real SuperNodes) or its simulation engine (Ray)")
    ap.add_argument("--zkfl", help="the zkfl binary")
    ap.add_argument("--work", help="working directory (default: a fresh temporary one)")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--check", action="store_true", help="exit 1 unless the attack is rejected and accuracy holds")
    args = ap.parse_args()
    zkfl_bin = find_zkfl(args.zkfl)
    work = Path(args.work or tempfile.mkdtemp(prefix="zkfl-flower-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    sys.path.insert(0, str(APP))
    from zkfl_example import task

    n = args.clinics
    subprocess.run([zkfl_bin, "keygen", "--clinics", str(n), "--out", str(work / "keys"), "--force"],
                   check=True, stdout=subprocess.DEVNULL)
    (work / "model.f32").write_bytes(bytes(4 * task.param_count()))

    link_port = free_port()
    flwr_home = work / "flwr-home"
    flwr_home.mkdir(exist_ok=True)
    (flwr_home / "config.toml").write_text(
        f'[superlink]\ndefault = "zkfl-local"\n\n[superlink.zkfl-local]\n'
        f'address = "127.0.0.1:{link_port}"\ninsecure = true\n'
    )
    # The SuperLink and SuperNodes start further Flower executables (flower-superexec, the app processes)
    # from PATH: those of this interpreter's environment.
    bindir = Path(sys.executable).parent
    env = dict(os.environ, FLWR_HOME=str(flwr_home), PYTHONUNBUFFERED="1",
               PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    procs = Processes(logs)
    results = []
    try:
        simulation = args.engine == "simulation"
        procs.start("superlink", [str(bindir / "flower-superlink"), "--insecure", "--port", str(link_port),
                                  "--disable-runtime-dependency-installation"]
                    + (["--simulation"] if simulation else []), env)
        wait_port(link_port)
        # Simulated SuperNodes: the federation config of each `flwr run` (below).
        for i in range(0 if simulation else n):
            node_config = (
                f'partition-id={i} attacker={"true" if i == n - 1 else "false"} '
                f'zkfl-keys="{work / "keys" / "clinics" / str(i + 1)}"'
            )
            procs.start(f"supernode-{i + 1}", [str(bindir / "flower-supernode"), "--insecure",
                                               "--superlink", f"127.0.0.1:{link_port}",
                                               "--port", str(free_port()), "--node-config", node_config], env)
        for mode, attack in RUNS:
            zkfl_port = free_port()
            url = f"http://127.0.0.1:{zkfl_port}"
            serve = None
            if mode == "protected":
                data = work / "zkfl-data"
                shutil.rmtree(data, ignore_errors=True)
                serve = procs.start("zkfl-serve", [
                    zkfl_bin, "serve", "--keys", str(work / "keys"), "--data-dir", str(data),
                    "--addr", f"127.0.0.1:{zkfl_port}", "--initial-model", str(work / "model.f32"),
                    "--open-round", "--rounds", str(args.rounds), "--norm-bound", str(NORM_BOUND),
                    "--scale", str(SCALE)], env)
                wait_http(f"{url}/v1/health")
            out = work / f"result-{mode}-{attack}.json"
            out.unlink(missing_ok=True)
            overrides = (f'num-server-rounds={args.rounds} clinics={n} mode="{mode}" attack="{attack}" '
                         f'zkfl-server="{url}" zkfl-keys="{work / "keys"}" out="{out}"')
            federation = ["--federation-config", f"num-supernodes={n}"] if simulation else []
            print(f"== flwr run ({args.engine}): {mode}, attacker {attack}", flush=True)
            t0 = time.monotonic()
            with open(logs / f"flwr-run-{mode}-{attack}.log", "wb") as log:
                subprocess.run([str(bindir / "flwr"), "run", str(APP), "zkfl-local", "--run-config", overrides,
                                *federation, "--stream"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               check=True, timeout=3600)
            # The ServerApp writes its summary when it finishes; --stream may return just before.
            end = time.monotonic() + 120
            while not out.exists() and time.monotonic() < end:
                time.sleep(0.5)
            if not out.exists():
                raise RuntimeError(f"the {mode}/{attack} run wrote no result; see {logs}")
            r = json.loads(out.read_text())
            r["wall_s"] = time.monotonic() - t0
            r["engine"] = args.engine
            results.append(r)
            if serve is not None:
                procs.stop(serve)
    finally:
        procs.stop_all()

    print(f"\nengine: {args.engine}")
    report(results, n)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.check:
        return check(results, n, args.rounds)
    return 0


def label(r: dict) -> str:
    return {("plain", "absent"): "plain FedAvg, no attacker",
            ("plain", "poison"): "plain FedAvg, attacker",
            ("protected", "poison"): "ZKFL-PQ, attacker"}[(r["mode"], r["attack"])]


def report(results: list[dict], n: int) -> None:
    print(f"\n{n} clinics (clinic {n} poisons: {abs(__import__('zkfl_example.task').task.POISON):g}× "
          f"its update, sign flipped); test accuracy after each round, then seconds per round")
    for r in results:
        acc = " ".join(f"{100 * a:5.1f}" for a in r["accuracy"][1:])
        secs = " ".join(f"{s:5.1f}" for s in r["round_s"])
        print(f"  {label(r):28s} accuracy % {acc}   round s {secs}")
    for r in results:
        if r["mode"] == "protected":
            for rnd, m in sorted(r["train_metrics"].items(), key=lambda kv: int(kv[0])):
                print(f"  ZKFL-PQ round {rnd}: accepted {m['zkfl-accepted']}, rejected clinics "
                      f"{m['zkfl-rejected-ids']}, server verify {m.get('zkfl-verify-s', 0):.2f} s, "
                      f"mean client prove {m.get('zkfl-prove-s', 0):.2f} s")


def check(results: list[dict], n: int, rounds: int) -> int:
    by = {(r["mode"], r["attack"]): r for r in results}
    prot, ref = by[("protected", "poison")], by[("plain", "absent")]
    ok = True
    for rnd in range(1, rounds + 1):
        m = prot["train_metrics"].get(str(rnd), {})
        if list(m.get("zkfl-rejected-ids", [])) != [n] or m.get("zkfl-accepted") != n - 1:
            print(f"CHECK FAILED: round {rnd}: {m}")
            ok = False
    gap = abs(prot["accuracy"][-1] - ref["accuracy"][-1])
    if gap > 0.01:
        print(f"CHECK FAILED: protected accuracy {prot['accuracy'][-1]:.4f} vs plain {ref['accuracy'][-1]:.4f}")
        ok = False
    print("check:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
