"""Fixtures: keys from the real `zkfl keygen` and a real `zkfl serve` per test (own data directory and port).

The `zkfl` binary is $ZKFL_BIN, else `zkfl` on PATH, else the workspace's release build.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
#: Roster size of the test federation, model size (one ring chunk), clip bound τ.
CLINICS = 3
DIM = 42
NORM_BOUND = 2.0


def zkfl_bin() -> str:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for cand in (os.environ.get("ZKFL_BIN"), shutil.which("zkfl"), str(target / "release/zkfl")):
        if cand and Path(cand).is_file():
            return str(Path(cand).resolve())
    pytest.exit("no zkfl binary: cargo build --release --bin zkfl, or set ZKFL_BIN", returncode=2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(out: Path, clinics: int = CLINICS) -> Path:
    subprocess.run([zkfl_bin(), "keygen", "--clinics", str(clinics), "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return out


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    """The federation's keys (aggregator and CLINICS clinics), fresh per test: the key holder remembers
    which aggregate it decrypted for each round and refuses a different one (docs/SERVICE.md)."""
    return keygen(tmp_path / "keys")


@pytest.fixture(scope="session")
def other_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keys of another aggregator."""
    return keygen(tmp_path_factory.mktemp("other") / "keys", clinics=1)


class Serve:
    """A running `zkfl serve`."""

    def __init__(self, keys: Path, work: Path, rounds: int, initial: np.ndarray, deadline: int) -> None:
        self.keys = keys
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        model = work / "model.f32"
        model.write_bytes(initial.astype("<f4").tobytes())
        self.log = open(work / "serve.log", "wb")
        self.proc = subprocess.Popen(
            [zkfl_bin(), "serve", "--keys", str(keys), "--data-dir", str(work / "data"),
             "--addr", f"127.0.0.1:{self.port}", "--initial-model", str(model), "--open-round",
             "--rounds", str(rounds), "--norm-bound", str(NORM_BOUND), "--scale", "512",
             "--deadline-secs", str(deadline)],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        end = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/v1/health", timeout=2):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > end:
                    raise RuntimeError((work / "serve.log").read_text())
                time.sleep(0.1)

    def clinic_keys(self, i: int) -> Path:
        return self.keys / "clinics" / str(i)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()


@pytest.fixture
def serve(keys: Path, tmp_path: Path):
    """Starts `zkfl serve` (2 rounds, zero initial model of DIM parameters); stopped after the test."""
    started: list[Serve] = []

    def start(rounds: int = 2, initial: np.ndarray | None = None, deadline: int = 600) -> Serve:
        work = tmp_path / f"serve-{len(started)}"
        work.mkdir()
        s = Serve(keys, work, rounds,
                  np.zeros(DIM, np.float32) if initial is None else initial, deadline)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
