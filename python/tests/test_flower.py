"""Flower integration: the client mod against a real `zkfl serve`, and the example app end to end on
Flower's deployment engine (SuperLink + one SuperNode per clinic, `flwr run`) with 3 clinics and 2 rounds."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

flwr = pytest.importorskip("flwr")
from flwr.app import (  # noqa: E402
    ArrayRecord, ConfigRecord, Context, Message, MessageType, Metadata, MetricRecord, RecordDict,
)
from flwr.app.message.message import make_message  # noqa: E402

import zkfl  # noqa: E402
from zkfl.flower import ROUND_KEY, VERDICT_KEY, flatten, unflatten, zkfl_mod  # noqa: E402
from conftest import DIM, REPO, zkfl_bin  # noqa: E402


def train_message(arrays: ArrayRecord, config: dict) -> Message:
    """A train message as a SuperNode receives it (the SuperLink has set its ids)."""
    meta = Metadata(run_id=1, message_id="0" * 64, src_node_id=0, dst_node_id=1, reply_to_message_id="",
                    group_id="1", created_at=time.time(), ttl=3600.0, message_type=MessageType.TRAIN,
                    src_task_id=1, dst_task_id=2)
    return make_message(meta, RecordDict({"arrays": arrays, "config": ConfigRecord(config)}))


def context(keys: Path, url: str) -> Context:
    return Context(run_id=1, node_id=1, node_config={"zkfl-keys": str(keys), "zkfl-server": url},
                   state=RecordDict(), run_config={})


def test_flatten_unflatten_round_trip() -> None:
    like = ArrayRecord([np.zeros((2, 3), np.float32), np.zeros(4, np.float32)])
    v = np.arange(10, dtype=np.float32)
    back = unflatten(v, like)
    assert [a.shape for a in back.to_numpy_ndarrays()] == [(2, 3), (4,)]
    np.testing.assert_array_equal(flatten(back), v)
    with pytest.raises(ValueError):
        unflatten(np.zeros(11, np.float32), like)


def test_mod_sends_a_submission_instead_of_the_weights(serve) -> None:
    s = serve(rounds=1)
    w = zkfl.Server(s.url).model(1)
    arrays = ArrayRecord([w[:40].reshape(2, 20), w[40:]])
    msg = train_message(arrays, {ROUND_KEY: 1})
    trained = np.linspace(-0.1, 0.1, DIM).astype(np.float32)

    def plain_train(m: Message, ctx: Context) -> Message:
        return Message(RecordDict({"arrays": unflatten(trained, arrays),
                                   "metrics": MetricRecord({"num-examples": 10})}), reply_to=m)

    reply = zkfl_mod(msg, context(s.clinic_keys(1), s.url), plain_train)
    assert not reply.content.array_records, "the weights must not leave the clinic"
    assert reply.content.config_records[VERDICT_KEY]["decision"] == "accepted"
    assert reply.content.metric_records["metrics"]["zkfl-accepted"] == 1
    status = zkfl.Server(s.url).status(1)
    assert [x["clinic_id"] for x in status["submissions"]] == [1]

    # A global model other than the announced one is refused before anything is sealed.
    wrong = train_message(unflatten(np.ones(DIM, np.float32), arrays), {ROUND_KEY: 1})
    with pytest.raises(zkfl.AnnouncementError) as e:
        zkfl_mod(wrong, context(s.clinic_keys(2), s.url), plain_train)
    assert e.value.code == "model_mismatch"


def test_flower_example_on_the_deployment_engine(tmp_path: Path) -> None:
    """3 clinics (clinic 3 poisons), 2 rounds: the attacker is rejected in every protected round and the
    protected accuracy is within 1 point of plain FedAvg without the attacker (run.py --check)."""
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "examples/flower/run.py"), "--clinics", "3", "--rounds", "2",
         "--zkfl", zkfl_bin(), "--work", str(tmp_path / "work"), "--json", str(out), "--check"],
        capture_output=True, text=True, timeout=1800)
    print(run.stdout, run.stderr)
    assert run.returncode == 0
    results = {(r["mode"], r["attack"]): r for r in json.loads(out.read_text())}
    prot = results[("protected", "poison")]
    assert all(prot["train_metrics"][str(r)]["zkfl-rejected-ids"] == [3] for r in (1, 2))
    # The attack works against plain FedAvg (so the test could fail if the protection did nothing).
    assert results[("plain", "poison")]["accuracy"][-1] < results[("plain", "absent")]["accuracy"][-1] - 0.2
