"""The ServerApp: plain FedAvg, or ZkflFedAvg whose aggregate is what `zkfl serve` publishes (the
homomorphic sum of the verified submissions, decrypted only as a sum). It evaluates the global model on a
held-out test set after every round, times every round and writes both to `out` (JSON) for run.py.

Run config: `num-server-rounds`, `clinics`, `mode` (`plain`/`protected`), `attack` (`poison`/`absent`),
`zkfl-server` and `zkfl-keys` (the aggregator's key directory; protected mode), `out` (a JSON path or "").
"""

import json
import time

from flwr.app import ArrayRecord, ConfigRecord, Context, MetricRecord
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

import zkfl
from zkfl.flower import ZkflFedAvg, flatten, unflatten

from . import task

app = ServerApp()


@app.main()
def main(grid: Grid, context: Context) -> None:
    c = context.run_config
    mode, attack = str(c["mode"]), str(c["attack"])
    n = int(c["clinics"])
    rounds = int(c["num-server-rounds"])
    x_test, y_test = task.test_set()
    stamps: list[float] = []
    accuracy: list[float] = []

    def evaluate(server_round: int, arrays: ArrayRecord) -> MetricRecord:
        stamps.append(time.monotonic())
        accuracy.append(task.accuracy(flatten(arrays), x_test, y_test))
        return MetricRecord({"accuracy": accuracy[-1]})

    common = dict(fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=n, min_available_nodes=n)
    if mode == "protected":
        server = zkfl.Server(str(c["zkfl-server"]), keys=str(c["zkfl-keys"]))
        first = server.announcement().round
        initial = unflatten(server.model(first), like=task.initial_record())
        strategy = ZkflFedAvg(server, **common)
    else:
        initial = task.initial_record()
        strategy = FedAvg(**common)
    result = strategy.start(
        grid=grid,
        initial_arrays=initial,
        num_rounds=rounds,
        train_config=ConfigRecord({"mode": mode, "attack": attack}),
        evaluate_fn=evaluate,
    )
    summary = {
        "mode": mode,
        "attack": attack,
        "clinics": n,
        "accuracy": accuracy,
        "round_s": [b - a for a, b in zip(stamps, stamps[1:])],
        "train_metrics": {str(r): dict(m) for r, m in result.train_metrics_clientapp.items()},
    }
    print(json.dumps(summary))
    if c.get("out"):
        with open(str(c["out"]), "w", encoding="utf-8") as f:
            json.dump(summary, f)
