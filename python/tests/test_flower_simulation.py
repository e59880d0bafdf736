"""The Flower example on Flower's simulation engine (`flower-superlink --simulation`, ClientApps in Ray
actors) against a real `zkfl serve`: opt-in, since Ray is not among CI's requirements.

    pip install -r python/requirements-simulation.txt
    ZKFL_FLOWER_SIMULATION=1 bash scripts/python-test.sh -k simulation
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

if os.environ.get("ZKFL_FLOWER_SIMULATION") != "1":
    pytest.skip("opt-in: set ZKFL_FLOWER_SIMULATION=1 (needs python/requirements-simulation.txt)",
                allow_module_level=True)
pytest.importorskip("ray")
pytest.importorskip("flwr")

from conftest import REPO, zkfl_bin  # noqa: E402


def test_flower_example_on_the_simulation_engine(tmp_path: Path) -> None:
    """3 simulated clinics (clinic 3 poisons), 2 rounds: the attacker is rejected in every protected round
    and the protected accuracy is within 1 point of plain FedAvg without the attacker (run.py --check)."""
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "examples/flower/run.py"), "--engine", "simulation", "--clinics", "3",
         "--rounds", "2", "--zkfl", zkfl_bin(), "--work", str(tmp_path / "work"), "--json", str(out),
         "--check"],
        capture_output=True, text=True, timeout=1800)
    print(run.stdout, run.stderr)
    assert run.returncode == 0
    results = {(r["mode"], r["attack"]): r for r in json.loads(out.read_text())}
    assert {r["engine"] for r in results.values()} == {"simulation"}
    prot = results[("protected", "poison")]
    assert all(prot["train_metrics"][str(r)]["zkfl-rejected-ids"] == [3] for r in (1, 2))
    assert all(prot["train_metrics"][str(r)]["zkfl-accepted"] == 2 for r in (1, 2))
    # The attack works against plain FedAvg (so the test could fail if the protection did nothing).
    assert results[("plain", "poison")]["accuracy"][-1] < results[("plain", "absent")]["accuracy"][-1] - 0.2
